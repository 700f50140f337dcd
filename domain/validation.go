package domain

import "time"

// ValidationMode says how far a provider check may go.
type ValidationMode string

// Validation modes. Read-only checks never change the bucket; readwrite also writes and removes
// a probe object under a reserved prefix.
const (
	ValidateReadOnly  ValidationMode = "read"
	ValidateReadWrite ValidationMode = "readwrite"
)

// ValidationTarget is everything a provider needs to prove a set of credentials works.
type ValidationTarget struct {
	StorageType StorageType
	Bucket      string
	Region      string
	Endpoint    string
	Credentials Credentials
	Mode        ValidationMode
	// OrgID is the organization the credentials are checked for; it names the session of an
	// assumed role (CredentialAWSRole) and keeps its cached credentials apart from others'.
	OrgID string
}

// CheckStatus is the outcome of one validation check.
type CheckStatus string

// Check outcomes. A check whose precondition failed is skipped, not failed.
const (
	CheckPass CheckStatus = "pass"
	CheckFail CheckStatus = "fail"
	CheckSkip CheckStatus = "skip"
)

// Check is one step of a validation, reported to the caller.
type Check struct {
	Name         string
	Status       CheckStatus
	Message      string
	ProviderCode string
}

// Addressing styles of the S3 API: the bucket in the path, or in the host name.
const (
	AddressingPath    = "path"
	AddressingVirtual = "virtual"
)

// ValidationReport is what a provider validation found.
type ValidationReport struct {
	Checks []Check
	// Region is the bucket's region (or GCS location) as the provider reported it, when it did.
	Region string
	// RegionDetection says, when the target named no region, whether the provider reported
	// one; empty when a region was given.
	RegionDetection RegionDetection
	// AddressingStyle is the S3 addressing style that worked (AddressingPath or
	// AddressingVirtual); empty for other providers or when no request got through.
	AddressingStyle string
	Latency         time.Duration
}

// RegionDetection is what a validation without a given region learned of the bucket's region.
type RegionDetection string

// Region detections. A detected region is the report's Region and becomes the bucket's; an
// undetected one leaves the bucket's region empty, because nothing is guessed.
const (
	RegionDetected   RegionDetection = "detected"
	RegionUndetected RegionDetection = "undetected"
)

// Passed reports whether every check passed or was skipped on purpose, that is none failed.
func (r ValidationReport) Passed() bool {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return false
		}
	}
	return len(r.Checks) > 0
}
