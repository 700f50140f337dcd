package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bucketd/bucketd/adapters/s3validator/awsrole"
)

// awsConfig is how bucketd reaches AWS STS to assume the roles organizations grant it. Its own
// AWS identity is not a flag: it comes from the SDK's standard chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, web identity, the container or
// instance role), as for any AWS program, and never from a caller.
type awsConfig struct {
	stsEndpoint string
	stsRegion   string
}

func (c *awsConfig) register(fs *flagSet) {
	fs.StringVar(&c.stsEndpoint, "aws-sts-endpoint", os.Getenv("BUCKETD_AWS_STS_ENDPOINT"),
		"AWS STS endpoint bucketd assumes organizations' roles at; empty means the SDK's regional endpoint (env BUCKETD_AWS_STS_ENDPOINT)")
	fs.StringVar(&c.stsRegion, "aws-sts-region", envOr("BUCKETD_AWS_STS_REGION", awsrole.DefaultRegion),
		"region whose STS bucketd uses and signs for (env BUCKETD_AWS_STS_REGION)")
}

// assumer builds the role assumer on the SSRF-guarded client, with bucketd's own identity from
// the SDK's standard chain. The chain itself (the instance metadata service, SSO) is bucketd's
// own environment, reached with the SDK's client; only STS requests go through client.
func (c awsConfig) assumer(ctx context.Context, client *http.Client, timeout time.Duration) (*awsrole.Assumer, error) {
	own, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.stsRegion))
	if err != nil {
		return nil, fmt.Errorf("bucketd's own AWS identity (AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): %w", err)
	}
	return awsrole.New(awsrole.Config{HTTPClient: client, Identity: own.Credentials, Endpoint: c.stsEndpoint,
		Region: c.stsRegion, Timeout: timeout})
}
