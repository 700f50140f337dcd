package app

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// maxRegionLength bounds a region well above any real one (the longest AWS region has 14
// characters), so a hostile value cannot bloat a row or a log line.
const maxRegionLength = 64

// providerHint tells a caller what each credential field means at one provider, so a missing
// field's message says what to put there.
type providerHint struct {
	key, secret string
}

var providerHints = map[domain.StorageType]providerHint{
	domain.StorageS3:    {key: "the access key id", secret: "the secret access key"},
	domain.StorageGCS:   {key: "the service account's client email", secret: "its private key (PEM) or the whole service-account JSON"},
	domain.StorageAzure: {key: "the storage account name", secret: "the account key"},
}

// bucketFields is a bucket input that passed every field rule.
type bucketFields struct {
	name        string
	bucket      string
	storageType domain.StorageType
	// storageTypeSpelling is storageType as the caller named it (BLOB or AZURE, say).
	storageTypeSpelling string
	// region is empty when the caller gave none: the validation then learns it.
	region      string
	endpoint    string
	credentials domain.Credentials
	mode        domain.ValidationMode
	validator   ports.CredentialValidator
	// orgID is the organization the credentials are checked for (bindOrganization).
	orgID string
}

// nameRule says whether a display name must be given: a create stores one, a dry run and an
// update that keeps the stored name may leave it out.
type nameRule bool

const (
	nameRequired nameRule = true
	nameOptional nameRule = false
)

// checkFields applies the field rules in the order a person fixes a form, stopping at the first
// failure with a message that names the field. It needs no I/O.
func (s *Buckets) checkFields(in BucketInput, rule nameRule) (bucketFields, error) {
	var name string
	if rule == nameRequired || in.Name != "" {
		var err error
		if name, err = domain.NormalizeName(in.Name); err != nil {
			return bucketFields{}, err
		}
	}
	storageType, err := domain.ParseStorageType(in.StorageType)
	if err != nil {
		return bucketFields{}, err
	}
	endpoint := strings.TrimSpace(in.Endpoint)
	bucket := strings.TrimSpace(in.Bucket)
	if err := domain.ValidateBucketName(storageType, bucket, endpoint != ""); err != nil {
		return bucketFields{}, err
	}
	var credentials domain.Credentials
	if in.resolved != nil {
		credentials = *in.resolved
	} else if credentials, err = checkCredentials(in, storageType); err != nil {
		return bucketFields{}, err
	}
	region, err := checkRegion(storageType, in.Region)
	if err != nil {
		return bucketFields{}, err
	}
	mode, err := checkMode(in.Mode)
	if err != nil {
		return bucketFields{}, err
	}
	validator, err := s.validatorFor(storageType)
	if err != nil {
		return bucketFields{}, err
	}
	return bucketFields{
		name:                name,
		bucket:              bucket,
		storageType:         storageType,
		storageTypeSpelling: in.StorageType,
		region:              region,
		endpoint:            endpoint,
		credentials:         credentials,
		mode:                mode,
		validator:           validator,
	}, nil
}

// target is what the provider check needs of the fields.
func (f bucketFields) target() domain.ValidationTarget {
	return domain.ValidationTarget{
		StorageType: f.storageType,
		Bucket:      f.bucket,
		Region:      f.region,
		Endpoint:    f.endpoint,
		Credentials: f.credentials,
		Mode:        f.mode,
		OrgID:       f.orgID,
	}
}

// checkCredentials checks the credential fields for their kind: every kind has a key, and
// those with a secret (domain.CredentialKind.HasSecret) a secret; temporary AWS credentials
// also a session token.
func checkCredentials(in BucketInput, storageType domain.StorageType) (domain.Credentials, error) {
	kind, err := domain.ParseCredentialKind(in.Kind, storageType)
	if err != nil {
		return domain.Credentials{}, err
	}
	hint := providerHints[storageType]
	if kind == domain.CredentialAWSRole {
		hint.key = "the role's ARN"
	}
	if in.Key.IsZero() {
		return domain.Credentials{}, domain.Errorf(domain.KindInvalidInput, "key must not be empty; for %s it is %s", storageType, hint.key)
	}
	if kind.HasSecret() && in.Secret.IsZero() {
		return domain.Credentials{}, domain.Errorf(domain.KindInvalidInput, "secret must not be empty; for %s it is %s", storageType, hint.secret)
	}
	if kind == domain.CredentialAWSSession && in.SessionToken.IsZero() {
		return domain.Credentials{}, domain.Errorf(domain.KindInvalidInput,
			"sessionToken must not be empty for kind %s; it is the session token STS issued with the key", kind)
	}
	c := domain.Credentials{Key: in.Key, Secret: in.Secret}
	switch kind {
	case domain.CredentialKeySecret: // the zero value
	case domain.CredentialAWSSession:
		c.Kind, c.SessionToken = kind, in.SessionToken
	default:
		c.Kind = kind
	}
	return c, nil
}

// bindOrganization ties the fields to the organization they are checked for: its id, and what
// the credentials take from it (BindOrganization).
func (s *Buckets) bindOrganization(ctx context.Context, orgID string, f *bucketFields) error {
	creds, err := BindOrganization(ctx, s.externalIDs, orgID, f.credentials)
	if err != nil {
		return err
	}
	f.credentials, f.orgID = creds, orgID
	return nil
}

// requireStorableKind refuses credentials a bucket cannot store: a bucket keeps a key and a
// secret, and the other kinds are registered as credentials of their own.
func requireStorableKind(f bucketFields) error {
	if kind := f.credentials.Kind.OrDefault(); kind != domain.CredentialKeySecret {
		return domain.Errorf(domain.KindInvalidInput,
			"a bucket stores a key and a secret; credentials of kind %s can be checked with POST /bucket/validate, "+
				"and are stored as a credential of their own (POST /apikeys) that a bucket refers to by apiKeyUuid", kind)
	}
	return nil
}

// validate runs the provider checks on the fields. When no region was given, the report says
// whether the provider reported one that can be the bucket's (checkRegion's rules).
func (f bucketFields) validate(ctx context.Context) (domain.ValidationReport, error) {
	report, err := f.validator.Validate(ctx, f.target())
	if f.region == "" {
		report.RegionDetection = domain.RegionUndetected
		if region, rerr := checkRegion(f.storageType, report.Region); rerr == nil && region != "" {
			report.Region, report.RegionDetection = region, domain.RegionDetected
		}
	}
	return report, err
}

// regionAfter is the bucket's region after a passing validation: the one given, or else the
// one the validation detected (empty when it detected none).
func (f bucketFields) regionAfter(r domain.ValidationReport) string {
	if f.region == "" && r.RegionDetection == domain.RegionDetected {
		return r.Region
	}
	return f.region
}

// checkRegion trims the region and checks its shape. It may be empty: the validation then asks
// the provider for it (targetRegion). S3 regions are lowercase slugs everywhere
// (AWS and the S3-compatible services alike); other providers spell locations their own way,
// so for them only printable text is required and the provider check compares the value.
func checkRegion(t domain.StorageType, region string) (string, error) {
	region = strings.TrimSpace(region)
	if region == "" {
		return "", nil
	}
	if n := utf8.RuneCountInString(region); n > maxRegionLength {
		return "", domain.Errorf(domain.KindInvalidInput, "region is %d characters long; the limit is %d", n, maxRegionLength)
	}
	if t == domain.StorageS3 {
		for _, r := range region {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", domain.Errorf(domain.KindInvalidInput,
					"region %q may contain only lowercase letters, digits and '-', for example us-east-1", region)
			}
		}
		return region, nil
	}
	if !utf8.ValidString(region) {
		return "", domain.Errorf(domain.KindInvalidInput, "region is not valid UTF-8")
	}
	for _, r := range region {
		if !unicode.IsPrint(r) {
			return "", domain.Errorf(domain.KindInvalidInput, "region must contain only printable characters (found %U)", r)
		}
	}
	return region, nil
}

// checkMode defaults to read-only checks, which never change the caller's bucket.
func checkMode(m domain.ValidationMode) (domain.ValidationMode, error) {
	switch m {
	case "":
		return domain.ValidateReadOnly, nil
	case domain.ValidateReadOnly, domain.ValidateReadWrite:
		return m, nil
	}
	return "", domain.Errorf(domain.KindInvalidInput, "validation %q is not one of %s, %s",
		m, domain.ValidateReadOnly, domain.ValidateReadWrite)
}
