package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/bucketd/bucketd/gen/api"
)

// listSize is the number of buckets of the organization GET /bucket lists and GET
// /bucket/{id} reads from.
const listSize = 100

// The credentials every create sends: an AWS-shaped access key id and secret, so the sealed
// values have the size real ones have. The stub accepts any.
const (
	benchKey    = "AKIABENCHEXAMPLE0KEY"
	benchSecret = "bench/Secret0Access0Key0Of0Forty0Chars00"
)

// bootstrapParallelism is how many `bucketd admin bootstrap` processes run at once.
const bootstrapParallelism = 4

// fixture is what the cells run against.
type fixture struct {
	stubURL string
	// orgs are the organizations creates go to, one per connection, so that creates on
	// different connections do not all wait for one organization's row lock.
	orgs []org
	// list is the organization holding the listSize buckets ids.
	list org
	ids  []string
	// listBody is GET /bucket's answer for list; pageSize is how many buckets it holds.
	listBody []byte
	pageSize int
	// oneBody is GET /bucket/{id}'s answer for the first of ids.
	oneBody []byte
	// validation is the S3 stub's requests per create, by operation.
	validation map[string]float64
	template   bucketTemplate
}

// prepare bootstraps conns organizations for creates and one for reads, seeds the latter with
// listSize buckets through bucketd, and reads what the baselines need.
func prepare(ctx context.Context, bd *bucketd, db *benchDB, stub *s3Stub, conns int) (*fixture, error) {
	orgs, err := bootstrapOrgs(ctx, bd, conns+1)
	if err != nil {
		return nil, err
	}
	fx := &fixture{stubURL: stub.url, orgs: orgs[:conns], list: orgs[conns]}
	before := stub.snapshot()
	for i := range listSize {
		id, err := fx.seed(ctx, bd.url, fmt.Sprintf("seed-%03d", i))
		if err != nil {
			return nil, err
		}
		fx.ids = append(fx.ids, id)
	}
	if fx.validation, err = perCreate(before, stub.snapshot(), listSize); err != nil {
		return nil, err
	}
	if fx.listBody, fx.pageSize, err = fx.fetchList(ctx, bd.url); err != nil {
		return nil, err
	}
	if fx.oneBody, err = fx.fetchOne(ctx, bd.url, fx.ids[0]); err != nil {
		return nil, err
	}
	if fx.template, err = readTemplate(ctx, db, fx.ids[0]); err != nil {
		return nil, err
	}
	return fx, nil
}

// bootstrapOrgs creates n organizations, a few at a time.
func bootstrapOrgs(ctx context.Context, bd *bucketd, n int) ([]org, error) {
	orgs := make([]org, n)
	errs := make([]error, n)
	sem := make(chan struct{}, bootstrapParallelism)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			orgs[i], errs[i] = bd.bootstrap(ctx, fmt.Sprintf("bench-org-%03d", i))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return orgs, nil
}

// createRequest is POST /bucket of a bucket named name in o's workspace, validated at the stub.
func (fx *fixture) createRequest(ctx context.Context, baseURL string, o org, name string) (*http.Request, error) {
	endpoint, region := fx.stubURL, api.Region(stubRegion)
	body, err := json.Marshal(api.CreateBucketRequest{Name: name, Bucket: stubBucket, StorageType: api.StorageTypeS3,
		Key: benchKey, Secret: benchSecret, Region: &region, Endpoint: &endpoint, WorkspaceId: o.WorkspaceID})
	if err != nil {
		return nil, err
	}
	req, err := authorized(ctx, http.MethodPost, baseURL+"/bucket", o.Token, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// authorized is a request carrying token as its bearer token.
func authorized(ctx context.Context, method, url, token string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

// seed creates one bucket of the list organization and returns its id.
func (fx *fixture) seed(ctx context.Context, baseURL, name string) (string, error) {
	req, err := fx.createRequest(ctx, baseURL, fx.list, name)
	if err != nil {
		return "", err
	}
	var created api.CreateBucketResponse
	if err := do(req, &created); err != nil {
		return "", err
	}
	if !created.Success || created.BucketId == "" {
		return "", fmt.Errorf("POST /bucket answered success %t, bucketId %q", created.Success, created.BucketId)
	}
	return created.BucketId, nil
}

// fetchList returns GET /bucket's answer for the list organization and how many buckets it
// holds, which is what one page of the default size returns.
func (fx *fixture) fetchList(ctx context.Context, baseURL string) ([]byte, int, error) {
	req, err := authorized(ctx, http.MethodGet, baseURL+"/bucket", fx.list.Token, nil)
	if err != nil {
		return nil, 0, err
	}
	body, err := doRaw(req)
	if err != nil {
		return nil, 0, err
	}
	var page api.BucketList
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, 0, fmt.Errorf("GET /bucket: decode answer: %w", err)
	}
	return body, len(page.Buckets), nil
}

// fetchOne returns GET /bucket/{id}'s answer for id.
func (fx *fixture) fetchOne(ctx context.Context, baseURL, id string) ([]byte, error) {
	req, err := authorized(ctx, http.MethodGet, baseURL+"/bucket/"+id, fx.list.Token, nil)
	if err != nil {
		return nil, err
	}
	return doRaw(req)
}

// do sends a set-up request, wants a 2xx answer and decodes it into v.
func do(req *http.Request, v any) error {
	body, err := doRaw(req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// doRaw sends a set-up request and returns the body of its 2xx answer.
func doRaw(req *http.Request) ([]byte, error) { return doRawWith(probeClient, req) }

// doRawWith is doRaw on client.
func doRawWith(client *http.Client, req *http.Request) ([]byte, error) {
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s answered %d: %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return body, nil
}
