package gcsvalidator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bucketd/bucketd/adapters/providercheck"
	"github.com/bucketd/bucketd/domain"
)

// DefaultIAMCredentialsURL is the origin of Google's IAM Service Account Credentials API, which
// mints access tokens for the service accounts a caller may impersonate.
const DefaultIAMCredentialsURL = "https://iamcredentials.googleapis.com" //nolint:gosec // G101: Google's public API origin, not a credential

// Impersonation. bucketd's own token is asked for with the cloud-platform scope, which the IAM
// Credentials API requires; the token it mints for an impersonated account carries only the
// storage scope the validation needs, and lives a quarter of an hour, not the hour Google
// allows: long enough for the cache to spare most mints, short enough that a leaked token soon
// dies.
const (
	scopeCloudPlatform = "https://www.googleapis.com/auth/cloud-platform"
	mintedLifetime     = 15 * time.Minute
	tokenCreatorRole   = "roles/iam.serviceAccountTokenCreator" //nolint:gosec // G101: an IAM role's name, not a credential
	// maxIAMResponse bounds the IAM Credentials API's answer; real ones are a few hundred bytes.
	maxIAMResponse = 64 << 10
	// ownTokenKey is the one key of the cache of bucketd's own token.
	ownTokenKey = "own"
)

// What the IAM Credentials API sends, for the messages about answers that are not that.
//
//nolint:gosec // G101: names a kind of answer, not a credential
const (
	iamBody = "the JSON the IAM Credentials API sends"
	iamName = "an IAM Credentials API"
)

// serviceAccountEmail is the form of a service account's email: Google's own
// (name@project.iam.gserviceaccount.com), and those of default and Google-managed accounts
// (project-number-compute@developer.gserviceaccount.com, ...@appspot.gserviceaccount.com).
var serviceAccountEmail = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]{0,252}\.[a-z]{2,}$`)

// impersonator mints access tokens for the service accounts bucketd's own Google identity may
// impersonate, and keeps them, and its own token, until shortly before they expire.
type impersonator struct {
	own      serviceAccount
	iamURL   string
	iamWhere string
	// ownTokens holds bucketd's own access token; minted the impersonated accounts', by
	// account and scope.
	ownTokens, minted *tokenCache
}

// newImpersonator reads bucketd's own identity, a service-account JSON key file.
func newImpersonator(identity domain.Secret, iamURL string, now func() time.Time) (*impersonator, error) {
	if !strings.HasPrefix(strings.TrimSpace(identity.Reveal()), "{") {
		return nil, fmt.Errorf("gcsvalidator: Config.Identity must be a service-account JSON key file")
	}
	own, err := parseServiceAccount(domain.Credentials{Secret: identity})
	if err != nil {
		return nil, fmt.Errorf("gcsvalidator: Config.Identity: %s", strings.TrimPrefix(err.Error(), "authenticate: "))
	}
	if err := checkConfigURL("IAMCredentialsURL", iamURL, true); err != nil {
		return nil, err
	}
	im := &impersonator{own: own, iamURL: iamURL, iamWhere: "Google's IAM Credentials API",
		ownTokens: newTokenCache(1, now), minted: newTokenCache(maxMintedTokens, now)}
	if iamURL != DefaultIAMCredentialsURL {
		im.iamWhere = "the IAM Credentials endpoint " + iamURL
	}
	return im, nil
}

// impersonatedAccount reads the service account GCS_IMPERSONATION credentials name: its email
// as key, and no secret.
func impersonatedAccount(c domain.Credentials) (serviceAccount, error) {
	email := strings.ToLower(strings.TrimSpace(c.Key.Reveal()))
	switch {
	case !c.Secret.IsZero():
		return serviceAccount{}, domain.Errorf(domain.KindInvalidInput,
			"authenticate: GCS_IMPERSONATION credentials take no secret: bucketd impersonates the service account with its own identity; "+
				"give the account's email as key and leave secret empty")
	case !serviceAccountEmail.MatchString(email):
		return serviceAccount{}, domain.Errorf(domain.KindInvalidInput,
			"authenticate: key %s is not a service account's email (name@project.iam.gserviceaccount.com); "+
				"GCS_IMPERSONATION takes the email of the service account to impersonate as key", c.Key.Hint())
	}
	return serviceAccount{email: email, hint: c.Key.Hint()}, nil
}

// errNoIdentity refuses impersonation on a server without a Google identity of its own.
var errNoIdentity = domain.Errorf(domain.KindNotImplemented,
	"authenticate: this server has no Google identity of its own, so it cannot impersonate service accounts; "+
		"its operator sets --gcs-identity-file (BUCKETD_GCS_IDENTITY_FILE) to enable GCS_IMPERSONATION")

// impersonatedToken returns an access token for account with scope, from the cache or minted
// with bucketd's own token; cached reports which.
func (v *Validator) impersonatedToken(ctx context.Context, account serviceAccount, scope string) (token string, cached bool, a answer) {
	im := v.imp
	return im.minted.get(ctx, mintKey(account, scope), func(ctx context.Context) (string, time.Time, answer) {
		own, _, a := im.ownTokens.get(ctx, ownTokenKey, v.ownToken)
		if !a.ok() {
			return "", time.Time{}, a
		}
		token, expiry, a := v.generateAccessToken(ctx, own, account, scope)
		if a.status == http.StatusUnauthorized {
			im.ownTokens.forget(ownTokenKey, own) // revoked or expired early: fetch a new one next time
		}
		return token, expiry, a
	})
}

// ownToken trades bucketd's own key for an access token at the token endpoint. A refusal is
// the operator's to fix, never the caller's, so it is a provider error saying so.
func (v *Validator) ownToken(ctx context.Context) (string, time.Time, answer) {
	own := v.imp.own
	body, a := v.exchange(ctx, own, scopeCloudPlatform)
	if a.ok() {
		return body.AccessToken, v.now().Add(time.Duration(body.ExpiresIn) * time.Second), a
	}
	if a.status != 0 && a.status < http.StatusInternalServerError && a.odd == nil {
		a.kind = domain.KindProviderError
		a.message = fmt.Sprintf("authenticate: %s refused bucketd's own service account %s (%s); "+
			"this server's operator checks the key in --gcs-identity-file", v.tokenWhere, own.email, a.reason())
	}
	return "", time.Time{}, a
}

// iamAnswer is generateAccessToken's answer: a token, or a Google API error.
type iamAnswer struct {
	AccessToken string    `json:"accessToken"`
	ExpireTime  string    `json:"expireTime"`
	Error       *iamError `json:"error"`
}

type iamError struct {
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Reason string `json:"reason"`
	} `json:"details"`
}

// generateAccessToken asks the IAM Credentials API, as bucketd's own account (bearer own), for
// a token of account with scope.
func (v *Validator) generateAccessToken(ctx context.Context, own string, account serviceAccount, scope string) (string, time.Time, answer) {
	im := v.imp
	body, err := json.Marshal(map[string]any{"scope": []string{scope}, "lifetime": fmt.Sprintf("%ds", int(mintedLifetime.Seconds()))})
	if err != nil {
		return "", time.Time{}, answer{err: err, kind: domain.KindInternal}
	}
	endpoint := im.iamURL + "/v1/projects/-/serviceAccounts/" + url.PathEscape(account.email) + ":generateAccessToken"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(string(body)))
	if err != nil {
		return "", time.Time{}, answer{err: fmt.Errorf("generateAccessToken request: %w", err), kind: domain.KindInternal}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+own)
	raw, resp, a := v.post(req, maxIAMResponse, iamBody, iamName)
	if !a.ok() {
		return "", time.Time{}, v.iamRefusal(a, account)
	}
	var ans iamAnswer
	jsonErr := json.Unmarshal(raw, &ans)
	if resp.StatusCode == http.StatusOK {
		// A token whose expiry looks past (this server's clock is ahead of Google's) is used
		// once and not kept.
		expiry, err := time.Parse(time.RFC3339, ans.ExpireTime)
		if jsonErr == nil && ans.AccessToken != "" && err == nil {
			return ans.AccessToken, expiry, answer{}
		}
		return "", time.Time{}, v.iamRefusal(oddAnswer(resp.StatusCode, resp.Header.Get("Content-Type"), iamBody, iamName, jsonErr), account)
	}
	return "", time.Time{}, v.iamRefusal(iamErrorAnswer(resp, ans.Error), account)
}

// iamErrorAnswer classifies the IAM Credentials API's refusal by its status alone: a body
// that is no Google error (an HTML page, say) says nothing more.
func iamErrorAnswer(resp *http.Response, e *iamError) answer {
	a := answer{err: fmt.Errorf("IAM Credentials answered %s", resp.Status), status: resp.StatusCode}
	if e != nil {
		a.code, a.detail = providercheck.Printable(e.Status), providercheck.Printable(e.Message)
		for _, d := range e.Details {
			if d.Reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || d.Reason == "SERVICE_DISABLED" {
				a.code = providercheck.Printable(d.Reason)
			}
		}
	}
	switch a.status {
	case http.StatusBadRequest:
		a.kind = domain.KindInvalidInput
	case http.StatusForbidden:
		a.kind = domain.KindAccessDenied
	case http.StatusNotFound:
		a.kind = domain.KindInvalidCredentials
	default:
		a.kind = domain.KindProviderError
	}
	if a.code == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || a.code == "SERVICE_DISABLED" {
		a.kind = domain.KindProviderError
	}
	return a
}

// iamRefusal words a failed generateAccessToken for the caller: what Google decided about the
// impersonation, and what to change, at the provider or in this server's configuration.
func (v *Validator) iamRefusal(a answer, account serviceAccount) answer {
	own, who := v.imp.own.email, account.hint
	switch {
	case a.status == 0 || a.status >= http.StatusInternalServerError || a.odd != nil:
		a.where = v.imp.iamWhere // worded like any transport, server or odd answer
	case a.kind == domain.KindAccessDenied:
		a.message = fmt.Sprintf("authenticate: bucketd's service account %s may not impersonate service account %s (%s); "+
			"grant %s on service account %s to %s (gcloud iam service-accounts add-iam-policy-binding SERVICE_ACCOUNT_EMAIL "+
			"--member=serviceAccount:%s --role=%s), and check that the account exists",
			own, who, a.reason(), tokenCreatorRole, who, own, own, tokenCreatorRole)
	case a.kind == domain.KindInvalidCredentials:
		a.message = fmt.Sprintf("authenticate: service account %s does not exist (%s); check the email given as key", who, a.reason())
	case a.kind == domain.KindInvalidInput:
		a.message = fmt.Sprintf("authenticate: %s refused service account %s (%s); give the email of the service account to impersonate as key",
			v.imp.iamWhere, who, a.reason())
	case a.status == http.StatusUnauthorized || a.code == "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || a.code == "SERVICE_DISABLED":
		a.message = fmt.Sprintf("authenticate: %s refused bucketd's own service account %s (%s); this server's operator checks "+
			"--gcs-identity-file and that the IAM Service Account Credentials API is enabled in its project", v.imp.iamWhere, own, a.reason())
	default:
		a.message = fmt.Sprintf("authenticate: %s refused to mint a token for service account %s with %d (%s)",
			v.imp.iamWhere, who, a.status, a.reason())
	}
	return a
}

// impersonate makes p validate as the service account the credentials of kind name, which
// bucketd's own identity impersonates.
func (p *probe) impersonate(kind domain.CredentialKind) error {
	if kind != domain.CredentialGCSImpersonation {
		return domain.Errorf(domain.KindInvalidInput,
			"authenticate: credential kind %s is not for GCS buckets; use KEY_SECRET (a key file, PEM key or HMAC key) or GCS_IMPERSONATION", kind)
	}
	sa, err := impersonatedAccount(p.target.Credentials)
	if err != nil {
		return err
	}
	if p.v.imp == nil {
		return errNoIdentity
	}
	p.account, p.impersonated = sa, true
	return nil
}

// runImpersonated decides every check with a token minted for the impersonated account. Should
// the API refuse a cached token (the account was disabled, or the token revoked, since it was
// minted), the token is forgotten and the validation starts over with a fresh mint, whose
// verdict (IAM Credentials' refusal, say) is the one reported.
func (p *probe) runImpersonated(ctx context.Context) *report {
	r, refused := p.attempt(ctx, p.account)
	if refused && p.cachedBearer != "" {
		p.v.imp.minted.forget(mintKey(p.account, p.scope()), p.cachedBearer)
		p.v.log.LogAttrs(ctx, slog.LevelDebug, "gcs cached impersonation token refused; forgotten, minting a new one",
			slog.String("key_hint", p.account.hint))
		r, _ = p.attempt(ctx, p.account)
	}
	return r
}

// mintKey names account's token for scope in the cache of minted tokens.
func mintKey(account serviceAccount, scope string) string { return account.email + " " + scope }

// impersonatedBearer is the access token the impersonated account's requests carry, cached or
// minted; a failure is recorded under authenticate.
func (p *probe) impersonatedBearer(ctx context.Context, r *report) (string, bool) {
	token, cached, a := p.v.impersonatedToken(ctx, p.account, p.scope())
	if !a.ok() {
		p.fail(r, checkAuth, a)
		return "", false
	}
	p.cachedBearer = ""
	if cached {
		p.cachedBearer = token
	}
	r.Pass(checkAuth, fmt.Sprintf("bucketd's service account %s impersonates service account %s: Google issued it an access token",
		p.v.imp.own.email, p.account.hint))
	return token, true
}
