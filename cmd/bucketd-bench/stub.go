package main

import (
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The provider bucket and region every create names; the stub serves exactly this bucket.
const (
	stubBucket = "bench-bucket"
	stubRegion = "us-east-1"
)

// The S3 operations the stub tells apart; opOther is anything bucketd's default (read-only)
// validation should not send, answered 501 and reported.
const (
	opHead     = "HeadBucket"
	opList     = "ListObjectsV2"
	opLocation = "GetBucketLocation"
	opOther    = "other"
)

// s3Stub answers the read-only validation of bucketd's S3 validator (path-style HeadBucket and
// ListObjectsV2, GetBucketLocation should a region be missing) at once with S3's minimal
// success answers, so a create measures bucketd and not a provider. It checks no signature:
// the validator's own tests do that against versitygw. It counts the requests per operation.
type s3Stub struct {
	url string
	srv *http.Server

	mu     sync.Mutex
	counts map[string]int
}

// startS3Stub serves the stub on a loopback port.
func startS3Stub() (*s3Stub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &s3Stub{url: "http://" + ln.Addr().String(), counts: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *s3Stub) close() { _ = s.srv.Close() }

const (
	xmlListing = `<?xml version="1.0" encoding="UTF-8"?>` +
		`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>` + stubBucket +
		`</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`
	xmlLocation = `<?xml version="1.0" encoding="UTF-8"?>` +
		`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + stubRegion + `</LocationConstraint>`
	xmlNotImplemented = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>` +
		`<Message>the bench's S3 stub answers only a read-only validation</Message></Error>`
)

func (s *s3Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	op := stubOperation(r)
	s.mu.Lock()
	s.counts[op]++
	s.mu.Unlock()
	w.Header().Set("x-amz-bucket-region", stubRegion)
	switch op {
	case opHead:
		w.WriteHeader(http.StatusOK)
	case opList:
		writeXML(w, http.StatusOK, xmlListing)
	case opLocation:
		writeXML(w, http.StatusOK, xmlLocation)
	default:
		writeXML(w, http.StatusNotImplemented, xmlNotImplemented)
	}
}

// stubOperation names the S3 operation of a path-style request for the stub's bucket.
func stubOperation(r *http.Request) string {
	if strings.Trim(r.URL.Path, "/") != stubBucket {
		return opOther
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodHead:
		return opHead
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		return opList
	case r.Method == http.MethodGet && q.Has("location"):
		return opLocation
	}
	return opOther
}

func writeXML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// snapshot returns the request counts so far, per operation.
func (s *s3Stub) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// perCreate divides the requests made between two snapshots by the creates made meanwhile.
func perCreate(before, after map[string]int, creates int) (map[string]float64, error) {
	if creates == 0 {
		return nil, errors.New("no creates to divide the validation requests by")
	}
	out := map[string]float64{}
	for op, n := range after {
		if d := n - before[op]; d > 0 {
			out[op] = float64(d) / float64(creates)
		}
	}
	return out, nil
}
