package azurevalidator

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/bucketd/bucketd/domain"
)

// The permissions a SAS needs, by mode, named in messages: reading a bucket lists and reads
// its blobs; writing also writes and deletes them.
const (
	readPermissions      = "rl (read, list)"
	readWritePermissions = "rwdl (read, write, delete, list)"
)

// sasAccess presents a shared access signature: Key is the storage account, Secret the SAS
// token (the query string of a SAS URL, with or without its leading ?). A container SAS
// (sr=c) and an account SAS (ss and srt) are accepted; a SAS for a single blob or directory
// cannot list a container and is refused before any request. The blob service verifies the
// signature, the time window and the permissions; what the token says only explains its
// refusals.
func (v *Validator) sasAccess(t domain.ValidationTarget) (access, string, error) {
	account := t.Credentials.Key.Reveal()
	if err := checkAccountName(account); err != nil {
		return access{}, checkAuth, err
	}
	raw, params, err := parseSAS(t.Credentials.Secret.Reveal())
	if err != nil {
		return access{}, checkAuth, err
	}
	where, err := serviceURL(t.Endpoint, account, v.allow)
	if err != nil {
		return access{}, checkConnect, err
	}
	auth := sasScheme(raw, params)
	client, err := container.NewClientWithNoCredential(where+"/"+url.PathEscape(t.Bucket)+"?"+raw, &v.clientOptions)
	if err != nil {
		return access{}, checkConnect, domain.Wrap(domain.KindInternal, auth.scrub(err), checkConnect+": the blob client could not be built")
	}
	a := access{client: client, account: account, service: where, scheme: auth}
	if params.Resource() != "c" {
		a.accountClient = func() (*service.Client, error) {
			client, err := service.NewClientWithNoCredential(where+"/?"+raw, v.serviceOptions())
			return client, auth.scrub(err)
		}
	}
	return a, "", nil
}

// parseSAS reads a SAS token and returns it without surrounding white space or leading ?,
// with its parameters. Its messages never show the token.
func parseSAS(secret string) (string, sas.QueryParameters, error) {
	raw := strings.TrimPrefix(strings.TrimSpace(secret), "?")
	refuse := func(why string) (string, sas.QueryParameters, error) {
		return "", sas.QueryParameters{}, domain.Errorf(domain.KindInvalidCredentials, "%s: %s", checkAuth, why)
	}
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		return refuse("secret is a URL; put only the SAS token in it, the part of the SAS URL after ?, and the account in key")
	}
	values, err := url.ParseQuery(raw)
	if err != nil || values.Get("sig") == "" || values.Get("sv") == "" {
		return refuse("secret is not a SAS token (sv=...&sig=...): it has no signature or no version; copy the whole SAS token")
	}
	params := sas.NewQueryParameters(values, false)
	switch resource := params.Resource(); {
	case resource == "c":
	case resource != "":
		return refuse(fmt.Sprintf("the SAS is for a single blob or directory (sr=%s), which cannot list a container; "+
			"make a container SAS (signed resource: container) or an account SAS", printableParam(resource)))
	case params.Services() == "" || params.ResourceTypes() == "":
		return refuse("the SAS is neither a container SAS (sr=c) nor an account SAS (ss and srt); copy the whole SAS token")
	}
	return raw, params, nil
}

// printableParam shows a short SAS parameter that is not secret (a resource type) only when it
// is a few letters, as it is in a real token.
func printableParam(s string) string {
	if len(s) <= 4 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == "" {
		return s
	}
	return "?"
}

// sasScheme words a SAS's failures: a refusal is explained by its time window when it is
// outside it, and a permission refusal names the permissions the bucket's mode needs.
func sasScheme(raw string, params sas.QueryParameters) scheme {
	secrets := secretForms(raw)
	if sig := params.Signature(); sig != "" {
		secrets = append(secrets, secretForms(sig)...)
	}
	return scheme{
		presented: "the SAS",
		listOnly:  params.Resource() == "c",
		rejected: func(p *probe, check string, a answer) string {
			if outside := outsideWindow(params, time.Now()); outside != "" {
				return fmt.Sprintf("%s: %s; make a new SAS%s", check, outside, forContainer(p.target.Bucket))
			}
			return fmt.Sprintf("%s: %s did not accept the SAS for account %s (%s): it is signed for another account or container, "+
				"with an account key since rotated, or through a stored access policy that no longer exists, or it was altered; "+
				"make a new SAS%s", check, p.where, p.account, codeOrStatus(a), forContainer(p.target.Bucket))
		},
		denied: func(p *probe, _ string, a answer) string {
			switch a.code {
			case "AuthorizationResourceTypeMismatch":
				return "the account SAS does not cover containers and objects; make it with the resource types container and object (srt=co)"
			case "AuthorizationServiceMismatch":
				return "the account SAS does not cover the Blob service; make it with the Blob service (ss includes b)"
			case "AuthorizationProtocolMismatch":
				return "the SAS allows https only; use an https endpoint"
			case codeSourceIPMismatch:
				return "the SAS's allowed IP addresses (sip) do not include bucketd's; widen them, or make the SAS without them"
			}
			need := readPermissions
			if p.target.Mode == domain.ValidateReadWrite {
				need = readWritePermissions
			}
			return "the SAS lacks the permission; make one with the permissions " + need + " for this bucket"
		},
		secrets: secrets,
	}
}

// outsideWindow says how now falls outside the SAS's time window, or "" when it is inside (or
// the SAS names no window: a stored access policy may hold it, and only the service knows).
func outsideWindow(params sas.QueryParameters, now time.Time) string {
	switch expiry, start := params.ExpiryTime(), params.StartTime(); {
	case !expiry.IsZero() && now.After(expiry):
		return "the SAS expired at " + expiry.UTC().Format(time.RFC3339)
	case !start.IsZero() && now.Before(start):
		return "the SAS is not valid before " + start.UTC().Format(time.RFC3339) + "; its start time has not come"
	}
	return ""
}

// forContainer is " for container <name>", or "" when the check has no container (a credential
// proved alone).
func forContainer(name string) string {
	if name == "" {
		return ""
	}
	return " for container " + name
}
