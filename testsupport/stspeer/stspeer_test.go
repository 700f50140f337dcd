package stspeer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bucketd/bucketd/testsupport/stspeer"
	"github.com/bucketd/bucketd/testsupport/versitygw"
)

const (
	callerKey    = "BUCKETDCALLERKEY0001"
	callerSecret = "bucketd-caller-secret-for-stspeer-tests"
	callerARN    = "arn:aws:iam::111122223333:user/bucketd"
	roleARN      = "arn:aws:iam::444455556666:role/bucketd-reader"
	externalID   = "bucketd-ext-0123456789abcdefghijklmnopqrstu"
	bucket       = "peer-bucket"
)

func start(t *testing.T) (*stspeer.Peer, *versitygw.Server) {
	t.Helper()
	gw := versitygw.Start(t)
	gw.CreateBucket(t, bucket)
	p := stspeer.Start(t, stspeer.Config{
		Callers:  []stspeer.Caller{{AccessKey: callerKey, Secret: callerSecret, ARN: callerARN}},
		Roles:    []stspeer.Role{{ARN: roleARN, TrustedPrincipal: callerARN, ExternalID: externalID, AccessKey: gw.RootKey, Secret: gw.RootSecret}},
		Upstream: gw.Endpoint,
	})
	return p, gw
}

func stsClient(p *stspeer.Peer, key, secret string) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.STSURL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
}

func s3Client(p *stspeer.Peer, key, secret, token string) *s3.Client {
	return s3.New(s3.Options{Region: versitygw.Region, BaseEndpoint: aws.String(p.S3URL), UsePathStyle: true, Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token)})
}

func assume(p *stspeer.Peer, key, secret, role, external string) (*sts.AssumeRoleOutput, error) {
	return stsClient(p, key, secret).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("bucketd-test"), ExternalId: aws.String(external),
		DurationSeconds: aws.Int32(900),
	})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestAssumeRoleHandsOutCredentialsTheS3FrontAccepts(t *testing.T) {
	p, _ := start(t)
	out, err := assume(p, callerKey, callerSecret, roleARN, externalID)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if until := time.Until(aws.ToTime(c.Expiration)); until < 14*time.Minute || until > 16*time.Minute {
		t.Errorf("expires in %s, want the 900 s asked for", until)
	}
	if p.AssumeRoleCalls() != 1 || p.LastSessionName() != "bucketd-test" {
		t.Errorf("calls %d, session name %q", p.AssumeRoleCalls(), p.LastSessionName())
	}
	list, err := s3Client(p, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || aws.ToString(list.Name) != bucket {
		t.Fatalf("list with the assumed credentials: %v", err)
	}
}

func TestAssumeRoleRefusals(t *testing.T) {
	p, _ := start(t)
	cases := []struct {
		name, key, secret, role, external, code string
	}{
		{"wrong external id", callerKey, callerSecret, roleARN, "someone-elses-external-id", "AccessDenied"},
		{"no external id", callerKey, callerSecret, roleARN, "", "AccessDenied"},
		{"unknown role", callerKey, callerSecret, "arn:aws:iam::444455556666:role/other", externalID, "AccessDenied"},
		{"unknown caller", "UNKNOWNCALLERKEY0001", callerSecret, roleARN, externalID, "InvalidClientTokenId"},
		{"wrong secret", callerKey, "not-the-caller-secret", roleARN, externalID, "SignatureDoesNotMatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := assume(p, c.key, c.secret, c.role, c.external)
			wantCode(t, err, c.code)
		})
	}
	if p.AssumeRoleCalls() != 0 {
		t.Errorf("granted %d AssumeRole calls, want 0", p.AssumeRoleCalls())
	}
}

func TestRoleTrustsOnlyItsPrincipal(t *testing.T) {
	gw := versitygw.Start(t)
	p := stspeer.Start(t, stspeer.Config{
		Callers: []stspeer.Caller{{AccessKey: callerKey, Secret: callerSecret, ARN: callerARN},
			{AccessKey: "OTHERCALLERKEY000001", Secret: callerSecret, ARN: "arn:aws:iam::999999999999:user/other"}},
		Roles:    []stspeer.Role{{ARN: roleARN, TrustedPrincipal: callerARN, ExternalID: externalID, AccessKey: gw.RootKey, Secret: gw.RootSecret}},
		Upstream: gw.Endpoint,
	})
	_, err := assume(p, "OTHERCALLERKEY000001", callerSecret, roleARN, externalID)
	wantCode(t, err, "AccessDenied")
}

func TestGetCallerIdentity(t *testing.T) {
	p, _ := start(t)
	out, err := stsClient(p, callerKey, callerSecret).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Arn) != callerARN || aws.ToString(out.Account) != "111122223333" {
		t.Fatalf("GetCallerIdentity = %+v, %v", out, err)
	}
}

func TestS3FrontChecksSessionTokens(t *testing.T) {
	p, gw := start(t)
	list := func(key, secret, token string) error {
		_, err := s3Client(p, key, secret, token).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return err
	}
	if err := list(gw.RootKey, gw.RootSecret, p.Session(gw.RootKey, gw.RootSecret, time.Hour)); err != nil {
		t.Fatalf("a live session: %v", err)
	}
	if err := list(gw.RootKey, gw.RootSecret, ""); err != nil {
		t.Fatalf("long-lived keys pass through: %v", err)
	}
	wantCode(t, list(gw.RootKey, gw.RootSecret, p.Session(gw.RootKey, gw.RootSecret, -time.Second)), "ExpiredToken")
	wantCode(t, list(gw.RootKey, gw.RootSecret, "stspeer-never-issued"), "InvalidToken")
	wantCode(t, list(gw.RootKey, "a-wrong-secret-for-the-session-token", p.Session(gw.RootKey, gw.RootSecret, time.Hour)),
		"SignatureDoesNotMatch")
	token := p.Session(gw.RootKey, gw.RootSecret, time.Hour)
	p.ExpireSessions()
	wantCode(t, list(gw.RootKey, gw.RootSecret, token), "ExpiredToken")
}

func TestAddRoleReplacesTheTrust(t *testing.T) {
	p, gw := start(t)
	p.AddRole(stspeer.Role{ARN: roleARN, TrustedPrincipal: callerARN, ExternalID: "bucketd-a-later-external-id",
		AccessKey: gw.RootKey, Secret: gw.RootSecret})
	_, err := assume(p, callerKey, callerSecret, roleARN, externalID)
	wantCode(t, err, "AccessDenied")
	if _, err := assume(p, callerKey, callerSecret, roleARN, "bucketd-a-later-external-id"); err != nil {
		t.Fatalf("the new ExternalId: %v", err)
	}
}
