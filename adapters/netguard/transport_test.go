package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// get sends a GET through client and returns the response status or the error.
func get(t *testing.T, client *http.Client, url string) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

func TestTransportRefusesMetadataWithoutDialling(t *testing.T) {
	for _, url := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"https://169.254.169.254/",
		"http://rebind.example/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/",
	} {
		t.Run(url, func(t *testing.T) {
			rec := &dialRecorder{}
			client := NewClient(NewTransport(NewDialer(AllowList{}, WithResolver(testResolver()), WithDialFunc(rec.dial))))
			_, err := get(t, client, url)
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindEndpointNotAllowed {
				t.Fatalf("GET %s error = %v, want kind %v in the chain", url, err, domain.KindEndpointNotAllowed)
			}
			if got := rec.attempts(); len(got) != 0 {
				t.Errorf("dialled %v, want no attempt", got)
			}
		})
	}
}

// A proxy would connect on bucketd's behalf and bypass the guard, so the transport must ignore
// the proxy environment and dial the provider's checked address itself.
func TestTransportIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://198.51.100.9:3128")
	t.Setenv("HTTPS_PROXY", "http://198.51.100.9:3128")
	rec := &dialRecorder{}
	tr := NewTransport(NewDialer(AllowList{}, WithResolver(testResolver()), WithDialFunc(rec.dial)))
	if tr.Proxy != nil {
		t.Fatal("transport has a Proxy func")
	}
	if _, err := get(t, NewClient(tr), "http://public.example/"); !errors.Is(err, errRecorded) {
		t.Fatalf("GET error = %v, want the recorded dial", err)
	}
	if got := rec.attempts(); !slices.Equal(got, []string{"203.0.113.7:80"}) {
		t.Errorf("dialled %v, want only the provider 203.0.113.7:80", got)
	}
}

func TestTransportTLSMinimum(t *testing.T) {
	tr := NewTransport(NewDialer(AllowList{}))
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion < 0x0303 {
		t.Fatalf("TLS minimum = %+v, want TLS 1.2 or later", tr.TLSClientConfig)
	}
}

func TestTransportReachesAllowListedLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()

	allowed := NewClient(NewTransport(NewDialer(mustAllowList(t, "127.0.0.0/8"))))
	if code, err := get(t, allowed, srv.URL); err != nil || code != http.StatusTeapot {
		t.Fatalf("allow-listed GET = %d, %v; want 418", code, err)
	}

	guarded := NewClient(NewTransport(NewDialer(AllowList{})))
	if _, err := get(t, guarded, srv.URL); !domain.IsKind(err, domain.KindEndpointNotAllowed) {
		t.Fatalf("guarded GET error = %v, want kind %v", err, domain.KindEndpointNotAllowed)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://public.example/", http.StatusMovedPermanently))
	defer srv.Close()

	rec := &dialRecorder{}
	realDial := NewDialer(AllowList{}).dial
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == srv.Listener.Addr().String() {
			return realDial(ctx, network, addr)
		}
		return rec.dial(ctx, network, addr)
	}
	client := NewClient(NewTransport(NewDialer(mustAllowList(t, "127.0.0.0/8"), WithResolver(testResolver()), WithDialFunc(dial))))
	code, err := get(t, client, srv.URL)
	if err != nil || code != http.StatusMovedPermanently {
		t.Fatalf("GET = %d, %v; want the 301 itself", code, err)
	}
	if got := rec.attempts(); len(got) != 0 {
		t.Errorf("followed the redirect: dialled %v", got)
	}
}
