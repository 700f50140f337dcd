package s3validator

import (
	"cmp"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// stubAnswer is how the stub answers one request: status, x-amz-bucket-region and XML body. A
// zero status means S3's success answer for the operation (with region and body, if set).
type stubAnswer struct {
	status int
	region string
	body   string
	// contentType replaces application/xml, the content type of a body.
	contentType string
	// cut announces more body than there is and closes the connection after it.
	cut bool
}

// Stub operations, told apart by method and query.
const (
	opHead     = "HeadBucket"
	opList     = "ListObjectsV2"
	opLocation = "GetBucketLocation"
	opPut      = "PutObject"
	opDelete   = "DeleteObject"
)

// stubRequest is what the stub recorded about one request.
type stubRequest struct {
	op, style, key, ifNoneMatch string
	// region is the region the request was signed for.
	region string
}

// s3Stub answers like S3 (XML errors, x-amz-bucket-region) from a script per operation, and
// records what it was asked. It does not verify signatures: versitygw does that in the other
// tests. It serves one bucket, and only in one addressing style when style is set: a
// virtual-hosted request names the bucket in the host (bucket.s3.test), a path-style request
// in the first path segment. A request in the other style gets wrongStyle (NoSuchBucket when
// unset), and one naming no bucket of the stub's gets NoSuchBucket. When absent is set, the
// bucket does not exist: every request in the served style gets NoSuchBucket.
type s3Stub struct {
	bucket     string
	style      string
	wrongStyle stubAnswer
	absent     bool
	// region, when set, is where the bucket lives, as on AWS: a request signed for another
	// region gets a 301 naming it, and every other answer carries it in x-amz-bucket-region.
	region string

	// The answers per operation; the zero value is S3's success answer.
	head, list, location, put, del stubAnswer

	mu   sync.Mutex
	seen []stubRequest
}

const (
	xmlPermanentRedirect = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>` +
		`<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message>` +
		`<Endpoint>aws-bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>aws-bucket</Bucket></Error>`
	xmlHeaderMalformed = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AuthorizationHeaderMalformed</Code>` +
		`<Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message>` +
		`<Region>eu-central-1</Region></Error>`
	xmlBucketList = `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Buckets><Bucket><Name>some-other-bucket</Name></Bucket></Buckets></ListAllMyBucketsResult>`
)

// noSuchBucket is S3's answer for a bucket it does not have.
var noSuchBucket = stubAnswer{status: http.StatusNotFound, body: xmlError("NoSuchBucket", "The specified bucket does not exist")}

func xmlError(code, message string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + message + `</Message></Error>`
}

func xmlLocation(constraint string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		constraint + `</LocationConstraint>`
}

func xmlListing(bucket string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Name>` + bucket + `</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`
}

func (s *s3Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	style, key := s.addressing(r)
	req := stubRequest{op: operation(r), style: style, key: key, ifNoneMatch: r.Header.Get("If-None-Match"),
		region: signingRegion(r)}
	s.mu.Lock()
	s.seen = append(s.seen, req)
	s.mu.Unlock()

	a := s.answer(req.op)
	if s.region != "" {
		a = s.inRegion(a, req.region)
	}
	switch {
	case style == "":
		a = noSuchBucket
	case s.style != "" && style != s.style:
		a = s.wrongStyle
		if a.status == 0 {
			a = noSuchBucket
		}
	case s.absent:
		a = noSuchBucket
	}
	if a.region != "" {
		w.Header().Set("x-amz-bucket-region", a.region)
	}
	if a.body != "" {
		w.Header().Set("Content-Type", cmp.Or(a.contentType, "application/xml"))
	}
	if a.cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+100))
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// inRegion is a, answered to a request signed for region, from a bucket in s.region.
func (s *s3Stub) inRegion(a stubAnswer, region string) stubAnswer {
	if region != s.region {
		return stubAnswer{status: http.StatusMovedPermanently, region: s.region, body: xmlPermanentRedirect}
	}
	a.region = cmp.Or(a.region, s.region)
	return a
}

// signingRegion is the region of a SigV4 request's credential scope
// (Credential=KEY/DATE/REGION/s3/aws4_request).
func signingRegion(r *http.Request) string {
	_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	parts := strings.Split(scope, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// addressing tells the request's style and object key; the style is empty when the request
// names no bucket of the stub's.
func (s *s3Stub) addressing(r *http.Request) (style, key string) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if strings.HasPrefix(host, s.bucket+".") {
		return domain.AddressingVirtual, path
	}
	if first, rest, _ := strings.Cut(path, "/"); first == s.bucket {
		return domain.AddressingPath, rest
	}
	return "", ""
}

func operation(r *http.Request) string {
	switch {
	case r.Method == http.MethodHead:
		return opHead
	case r.Method == http.MethodPut:
		return opPut
	case r.Method == http.MethodDelete:
		return opDelete
	case r.URL.Query().Has("location"):
		return opLocation
	}
	return opList
}

// answer is the scripted answer to op, with S3's success answer filled in where unscripted.
func (s *s3Stub) answer(op string) stubAnswer {
	a := map[string]stubAnswer{opHead: s.head, opList: s.list, opLocation: s.location, opPut: s.put, opDelete: s.del}[op]
	if a.status != 0 {
		return a
	}
	a.status = http.StatusOK
	switch op {
	case opList:
		a.body = xmlListing(s.bucket)
	case opLocation:
		a.body = xmlLocation("")
	case opDelete:
		a.status = http.StatusNoContent
	}
	return a
}

// requests returns what the stub was asked so far.
func (s *s3Stub) requests() []stubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stubRequest(nil), s.seen...)
}

// fakeDNS answers every name in zone with addr, except names starting with missing (when set),
// which do not exist. Unknown names do not exist either; nothing is asked of real DNS.
type fakeDNS struct {
	zone    string
	addr    netip.Addr
	missing string
}

func (d fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	inZone := host == d.zone || strings.HasSuffix(host, "."+d.zone)
	if !inZone || d.missing != "" && strings.HasPrefix(host, d.missing) {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []netip.Addr{d.addr}, nil
}

// stubZone is the DNS zone of custom-endpoint stubs: s3.test and its bucket subdomains resolve
// to 127.0.0.1.
const stubZone = "s3.test"

// stubHarness serves stub over plain HTTP on 127.0.0.1 as the custom endpoint
// http://s3.test:PORT and returns a validator that reaches it: its dialer resolves s3.test and
// <bucket>.s3.test to 127.0.0.1 through fakeDNS, and its allow list names exactly those hosts.
func stubHarness(t *testing.T, stub *s3Stub) (harness, string) {
	t.Helper()
	transport, allow, endpoint := serveStub(t, stub)
	return newHarnessAllowing(t, 0, transport, allow), endpoint
}

// serveStub serves stub as stubHarness does and returns the transport and allow list that
// reach it, and its endpoint.
func serveStub(t *testing.T, stub *s3Stub) (*http.Transport, netguard.AllowList, string) {
	t.Helper()
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	allow, err := netguard.ParseAllowList(stubZone + "," + stub.bucket + "." + stubZone)
	if err != nil {
		t.Fatal(err)
	}
	dns := fakeDNS{zone: stubZone, addr: netip.MustParseAddr("127.0.0.1")}
	transport := netguard.NewTransport(netguard.NewDialer(allow, netguard.WithResolver(dns)))
	t.Cleanup(transport.CloseIdleConnections)
	return transport, allow, "http://" + net.JoinHostPort(stubZone, port)
}

// awsDNS resolves every AWS host name to one public documentation address.
var awsDNS = fakeDNS{zone: "amazonaws.com", addr: netip.MustParseAddr("203.0.113.10")}

// fakeAWS serves handler over TLS on 127.0.0.1 and returns a transport whose guard resolves
// AWS host names through dns and whose connect step, after the guard approved the public
// address, reaches the fake instead. Nothing leaves the machine; the guard still runs. The
// second result lists the addresses the guard approved.
func fakeAWS(t *testing.T, handler http.Handler, dns fakeDNS) (*http.Transport, func() []string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	// Connections the client dialled but never used end in handshake errors at Close; not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var approved []string
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		approved = append(approved, addr)
		mu.Unlock()
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	transport := guardedTransport(t, netguard.WithResolver(dns), netguard.WithDialFunc(dial))
	transport.TLSClientConfig.InsecureSkipVerify = true // the fake's certificate cannot name amazonaws.com
	return transport, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), approved...)
	}
}

// awsHarness is a validator whose AWS traffic reaches stub (see fakeAWS).
func awsHarness(t *testing.T, stub *s3Stub, dns fakeDNS) harness {
	t.Helper()
	transport, _ := fakeAWS(t, stub, dns)
	return newHarness(t, 0, transport)
}
