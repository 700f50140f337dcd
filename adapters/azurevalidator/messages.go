package azurevalidator

import (
	"fmt"
	"net/http"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// actions says what each check does to the container, for access-denied messages.
var actions = map[string]string{
	checkContainer: "read the properties of",
	checkList:      "list",
	checkWrite:     "write to and delete from",
}

// accessFixes says what to change for access-denied codes that have a cause of their own.
var accessFixes = map[string]string{
	codeKeyAuthNotPermitted: "the storage account does not allow Shared Key authorization; enable \"Allow storage account key access\" on it",
	codeSourceIPMismatch:    "the storage account's firewall does not admit bucketd's address; add it to the account's network rules",
	codeAccountDisabled:     "the storage account is disabled; enable it, or use another account",
}

// describe writes the caller-facing message for a failed answer of check. It names the check,
// the account and the container, never the account key; failures that are not the service's
// verdict are worded by providercheck, as for every provider.
func (p *probe) describe(check string, a answer) string {
	if msg, ok := providercheck.DescribePanic(check, a.err); ok {
		return msg
	}
	switch a.kind {
	case domain.KindInvalidCredentials:
		return p.describeCredentials(check, a)
	case domain.KindAccessDenied:
		fix := p.auth.denied(p, check, a)
		if fix == "" {
			fix = accessFixes[a.code]
		}
		if fix == "" {
			fix = "grant it a role or access policy that allows this, or use the account key"
		}
		return fmt.Sprintf("%s: %s may not %s container %s in account %s (%s); %s",
			check, p.auth.presented, actions[check], p.target.Bucket, p.account, codeOrStatus(a), fix)
	case domain.KindBucketNotFound:
		return fmt.Sprintf("%s: container %s does not exist in account %s at %s; check the container name (bucket), or create the container",
			check, p.target.Bucket, p.account, p.where)
	case domain.KindInvalidInput:
		return fmt.Sprintf("%s: %s refused the container name %q (%s); check bucket against Azure's container naming rules",
			check, p.where, p.target.Bucket, a.code)
	case domain.KindProviderError:
		switch {
		case a.status >= http.StatusInternalServerError:
			return providercheck.DescribeServerError(check, p.where, a.status, a.code)
		case a.odd != nil:
			return a.odd.Describe(check, p.where)
		case a.status != 0:
			return fmt.Sprintf("%s: %s refused the request with %d (%s) for account %s on container %s; check the account, the container and the endpoint",
				check, p.where, a.status, codeOrStatus(a), p.account, p.target.Bucket)
		}
	}
	return providercheck.DescribeTransport(check, p.where, a.kind, a.err, p.timeout)
}

// describeCredentials explains why the credentials, or the account itself, were not accepted.
func (p *probe) describeCredentials(check string, a answer) string {
	switch {
	case a.noAccount && a.status == 0:
		return fmt.Sprintf("%s: storage account %s was not found: host %s%s does not exist; check the account name in key",
			check, p.account, p.account, publicSuffix)
	case a.noAccount:
		return fmt.Sprintf("%s: storage account %s was not found at %s (%s); check the account name in key and the endpoint",
			check, p.account, p.where, a.code)
	}
	return p.auth.rejected(p, check, a)
}

// describeKeyRejected explains why the account key was not accepted.
func (p *probe) describeKeyRejected(check string, a answer) string {
	if a.code == codeAuthorizationFailure {
		return fmt.Sprintf("%s: %s rejected the account key for account %s (%s); check the key, and if it is right, "+
			"whether the account's firewall admits bucketd", check, p.where, p.account, a.code)
	}
	return fmt.Sprintf("%s: %s rejected the account key for account %s (%s); check the key (key1 or key2 of the account's Access keys)",
		check, p.where, p.account, codeOrStatus(a))
}

// codeOrStatus names what the service answered: its error code, or the HTTP status text when
// it sent none.
func codeOrStatus(a answer) string {
	if a.code != "" {
		return a.code
	}
	return http.StatusText(a.status)
}
