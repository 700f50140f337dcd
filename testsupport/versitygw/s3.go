package versitygw

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// opTimeout bounds every helper call, so a wedged gateway fails the test instead of hanging it.
const opTimeout = 10 * time.Second

// rootClient is an S3 client of the root account, path-style as the gateway expects.
func (s *Server) rootClient() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.RootKey, s.RootSecret, ""),
		HTTPClient:   s.client,
		Retryer:      aws.NopRetryer{},
	})
}

// CreateBucket creates an empty bucket owned by the root account.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := s.rootClient().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("versitygw: create bucket %s: %v", name, err)
	}
}

// PutObject stores body under key in bucket as the root account.
func (s *Server) PutObject(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	_, err := s.rootClient().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("versitygw: put %s/%s: %v", bucket, key, err)
	}
}

// Keys lists every object key in bucket, so tests can prove what a bucket holds.
func (s *Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(s.rootClient(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("versitygw: list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// CreateUser adds an IAM user with role "user": valid credentials that own nothing, so the
// root's buckets answer them with AccessDenied.
func (s *Server) CreateUser(t testing.TB, access, secret string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "admin",
		"--access", s.RootKey, "--secret", s.RootSecret, "--endpoint-url", s.Endpoint,
		"create-user", "--access", access, "--secret", secret, "--role", "user")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("versitygw: create user %s: %v\n%s", access, err, out)
	}
}
