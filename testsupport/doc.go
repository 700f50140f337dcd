// Package testsupport is the root of everything that exists only for tests: the peers tests
// start on 127.0.0.1 (versitygw, Azurite, a fake GCS, a hostile server, proxies), the contract
// suites every implementation of a port or of the provider transport must pass (porttest,
// storetest, providerchecktest), the OpenAPI contract checker (contracttest), metric readers
// (metricstest) and the generated gomock mocks of the ports (mocks).
//
// It is not a layer of the hexagon: no production package imports it (make lint checks), and
// it may import any layer it tests.
package testsupport
