package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
)

// maxDescriptionLength bounds an API key's description, so a hostile value cannot bloat a row.
const maxDescriptionLength = 1024

// CredentialInput is a stored credential (an API key, in Flashback's words) as the caller
// registers it; fields are trimmed and checked here.
type CredentialInput struct {
	WorkspaceID string
	// Provider is Flashback's AWS, GCP or AZURE, or a storage type (S3, GCS, AZURE, BLOB).
	Provider string
	// Kind is a domain.CredentialKind; empty means KEY_SECRET.
	Kind         string
	Key          domain.Secret
	Secret       domain.Secret
	SessionToken domain.Secret
	Endpoint     string
	Region       string
	TenantID     string
	Description  string
}

// CredentialUpdate lists what to change of a stored credential; nil keeps a field. A new key,
// secret, session token or tenant is a rotation: see UpdateCredential.
type CredentialUpdate struct {
	Provider     *string
	Key          *domain.Secret
	Secret       *domain.Secret
	SessionToken *domain.Secret
	Endpoint     *string
	Region       *string
	TenantID     *string
	Description  *string
}

// rotates reports whether the update replaces what reaches the provider.
func (in CredentialUpdate) rotates() bool {
	return in.Key != nil || in.Secret != nil || in.SessionToken != nil || in.TenantID != nil
}

// CredentialListInput selects stored credentials.
type CredentialListInput struct {
	// WorkspaceID restricts the list to one workspace; empty or "undefined" means every
	// workspace the caller may see.
	WorkspaceID string
	// Provider restricts the list to one provider family (any spelling ParseProvider takes).
	Provider string
}

// ListCredentials returns the stored credentials the caller may see, oldest first.
func (s *Buckets) ListCredentials(ctx context.Context, p domain.Principal, in CredentialListInput) ([]domain.StoredCredential, error) {
	if err := s.requireCredentialStore(); err != nil {
		return nil, err
	}
	var q ports.CredentialQuery
	if provider := strings.TrimSpace(in.Provider); provider != "" {
		t, err := domain.ParseProvider(provider)
		if err != nil {
			return nil, err
		}
		q.StorageType = t
	}
	switch ws := strings.TrimSpace(in.WorkspaceID); {
	case !noWorkspaceFilter[ws]:
		if err := s.authorizeWorkspace(ctx, p, ws, domain.WorkspaceRead); err != nil {
			return nil, err
		}
		q.WorkspaceIDs = []string{ws}
	case p.Role != domain.RoleAdmin:
		q.WorkspaceIDs = append([]string{}, p.WorkspaceIDs()...)
	}
	return s.credentialStore.ListCredentials(ctx, p.OrgID, q)
}

// CreateCredential registers a credential in a workspace once the provider accepted it, as far
// as a credential alone can be proved (authentication, no bucket), and seals it.
func (s *Buckets) CreateCredential(ctx context.Context, p domain.Principal, in CredentialInput) (domain.StoredCredential, error) {
	c, err := s.createCredential(ctx, p, in)
	s.logCredential(ctx, "create api key", p, c.ID, err, slog.String("workspace_id", in.WorkspaceID), slog.String("provider", in.Provider))
	return c, err
}

func (s *Buckets) createCredential(ctx context.Context, p domain.Principal, in CredentialInput) (domain.StoredCredential, error) {
	if err := s.requireCredentialStore(); err != nil {
		return domain.StoredCredential{}, err
	}
	workspaceID := strings.TrimSpace(in.WorkspaceID)
	if err := s.authorizeWorkspace(ctx, p, workspaceID, domain.WorkspaceWrite); err != nil {
		return domain.StoredCredential{}, err
	}
	t, err := domain.ParseProvider(in.Provider)
	if err != nil {
		return domain.StoredCredential{}, err
	}
	kind, err := domain.ParseCredentialKind(domain.ImpliedCredentialKind(in.Kind, t, in.TenantID), t)
	if err != nil {
		return domain.StoredCredential{}, err
	}
	c := domain.StoredCredential{ID: domain.NewID(), OrgID: p.OrgID, WorkspaceID: workspaceID, StorageType: t,
		ProviderSpelling: strings.TrimSpace(in.Provider), Kind: kind, Endpoint: strings.TrimSpace(in.Endpoint),
		TenantID: strings.TrimSpace(in.TenantID), SecretVersion: firstSecretVersion}
	if c.Region, err = checkRegion(t, in.Region); err != nil {
		return domain.StoredCredential{}, err
	}
	if c.Description, err = checkDescription(in.Description); err != nil {
		return domain.StoredCredential{}, err
	}
	creds := domain.Credentials{Kind: kind, Key: in.Key, Secret: in.Secret, SessionToken: in.SessionToken, TenantID: c.TenantID}
	if err := checkCredentialFields(t, creds); err != nil {
		return domain.StoredCredential{}, err
	}
	if err := s.authenticate(ctx, c, creds); err != nil {
		return domain.StoredCredential{}, err
	}
	if err := s.sealCredential(ctx, &c, creds); err != nil {
		return domain.StoredCredential{}, err
	}
	c.CreatedAt = s.now()
	c.UpdatedAt = c.CreatedAt
	if err := s.credentialStore.InsertCredential(ctx, c); err != nil {
		return domain.StoredCredential{}, fmt.Errorf("store API key %s: %w", c.ID, err)
	}
	return c, nil
}

// UpdateCredential changes a stored credential. A rotation (new key, secret, session token or
// tenant) is proved alone at the provider, then against every live bucket that uses the
// credential, concurrently and within the request's deadline; only if every bucket passes is it
// stored, in one transaction that a bucket attached meanwhile cannot slip past (the store
// serializes on the credential's row). Otherwise nothing changes and the error, a
// *RotationRefused, names each bucket that failed and why.
func (s *Buckets) UpdateCredential(ctx context.Context, p domain.Principal, credentialID string, in CredentialUpdate) error {
	err := s.updateCredential(ctx, p, credentialID, in)
	s.logCredential(ctx, "update api key", p, credentialID, err, slog.Bool("rotated", in.rotates()))
	return err
}

func (s *Buckets) updateCredential(ctx context.Context, p domain.Principal, credentialID string, in CredentialUpdate) error {
	cur, err := s.credentialToWrite(ctx, p, credentialID)
	if err != nil {
		return err
	}
	if err := keepCredentialWhereRegistered(cur, in); err != nil {
		return err
	}
	next := cur
	if in.Region != nil {
		if next.Region, err = checkRegion(cur.StorageType, *in.Region); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if next.Description, err = checkDescription(*in.Description); err != nil {
			return err
		}
	}
	change := ports.CredentialChange{Next: next, Rotated: in.rotates(), At: s.now()}
	if change.Rotated {
		if change.Validated, err = s.rotate(ctx, &change.Next, in); err != nil {
			return err
		}
	}
	return s.credentialStore.UpdateCredential(ctx, change)
}

// rotate proves the credential's new values alone and against every bucket that uses it, and
// seals them into next; it returns the ids of the buckets proved.
func (s *Buckets) rotate(ctx context.Context, next *domain.StoredCredential, in CredentialUpdate) ([]string, error) {
	creds, err := s.openCredential(ctx, *next)
	if err != nil {
		return nil, err
	}
	creds.Key, creds.Secret, creds.SessionToken = orSecret(in.Key, creds.Key), orSecret(in.Secret, creds.Secret), orSecret(in.SessionToken, creds.SessionToken)
	if in.TenantID != nil {
		next.TenantID = strings.TrimSpace(*in.TenantID)
		creds.TenantID = next.TenantID
	}
	if err := checkCredentialFields(next.StorageType, creds); err != nil {
		return nil, err
	}
	if err := s.authenticate(ctx, *next, creds); err != nil {
		return nil, err
	}
	buckets, err := s.credentialStore.CredentialBuckets(ctx, next.OrgID, next.ID)
	if err != nil {
		return nil, fmt.Errorf("list the buckets of API key %s: %w", next.ID, err)
	}
	if err := s.proveBuckets(ctx, buckets, creds); err != nil {
		return nil, err
	}
	if err := s.sealCredential(ctx, next, creds); err != nil {
		return nil, err
	}
	ids := make([]string, len(buckets))
	for i, b := range buckets {
		ids[i] = b.ID
	}
	return ids, nil
}

// DeleteCredential deletes a stored credential no live bucket uses; one in use is
// KindCredentialInUse with the count.
func (s *Buckets) DeleteCredential(ctx context.Context, p domain.Principal, credentialID string) error {
	c, err := s.credentialToWrite(ctx, p, credentialID)
	if err == nil {
		err = s.credentialStore.DeleteCredential(ctx, p.OrgID, c.ID, s.now())
	}
	s.logCredential(ctx, "delete api key", p, credentialID, err)
	return err
}

// credentialToWrite reads a credential the caller may change: one of a workspace where it has
// the WRITE role. A credential of a workspace the caller is no member of answers as an unknown
// one does.
func (s *Buckets) credentialToWrite(ctx context.Context, p domain.Principal, credentialID string) (domain.StoredCredential, error) {
	if err := s.requireCredentialStore(); err != nil {
		return domain.StoredCredential{}, err
	}
	c, err := s.credentialStore.GetCredential(ctx, p.OrgID, credentialID)
	if err != nil {
		return domain.StoredCredential{}, err
	}
	if !p.MayUseWorkspace(c.WorkspaceID) {
		return domain.StoredCredential{}, domain.Errorf(domain.KindNotFound, "no API key %s in this organization", credentialID)
	}
	return c, mayWriteBuckets(p, c.WorkspaceID, domain.WorkspaceWrite)
}

// keepCredentialWhereRegistered refuses to move a credential to another provider or endpoint:
// the buckets that use it were proved there, and its secret is only ever sent there.
func keepCredentialWhereRegistered(cur domain.StoredCredential, in CredentialUpdate) error {
	if in.Provider != nil {
		t, err := domain.ParseProvider(*in.Provider)
		if err != nil {
			return err
		}
		if t != cur.StorageType {
			return domain.Errorf(domain.KindInvalidInput,
				"provider: API key %s is for %s and cannot change provider; register a new API key", cur.ID, cur.StorageType)
		}
	}
	if in.Endpoint != nil && strings.TrimSpace(*in.Endpoint) != cur.Endpoint {
		return domain.Errorf(domain.KindInvalidInput,
			"endpoint: API key %s is used at %q and cannot move; register a new API key for another endpoint", cur.ID, cur.Endpoint)
	}
	return nil
}

// checkCredentialFields requires the values a credential's kind uses.
func checkCredentialFields(t domain.StorageType, c domain.Credentials) error {
	hint := providerHints[t]
	switch {
	case c.Key.IsZero():
		return domain.Errorf(domain.KindInvalidInput, "key must not be empty; for %s it is %s", t, hint.key)
	case c.Kind.HasSecret() && c.Secret.IsZero():
		return domain.Errorf(domain.KindInvalidInput, "secret must not be empty for a %s credential; for %s it is %s", c.Kind.OrDefault(), t, hint.secret)
	case !c.Kind.HasSecret() && !c.Secret.IsZero():
		return domain.Errorf(domain.KindInvalidInput, "secret: a %s credential has no secret; leave it out", c.Kind)
	case c.Kind == domain.CredentialAWSSession && c.SessionToken.IsZero():
		return domain.Errorf(domain.KindInvalidInput, "sessionToken must not be empty for an AWS_SESSION credential")
	case c.Kind != domain.CredentialAWSSession && !c.SessionToken.IsZero():
		return domain.Errorf(domain.KindInvalidInput, "sessionToken is only for AWS_SESSION credentials; leave it out")
	case c.Kind == domain.CredentialAzureServicePrincipal && c.TenantID == "":
		return domain.Errorf(domain.KindInvalidInput, "tenantId must not be empty for an AZURE_SERVICE_PRINCIPAL credential")
	}
	return nil
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if n := utf8.RuneCountInString(d); n > maxDescriptionLength {
		return "", domain.Errorf(domain.KindInvalidInput, "description is %d characters long; the limit is %d", n, maxDescriptionLength)
	}
	return d, nil
}

// authenticate proves a credential alone at its provider.
func (s *Buckets) authenticate(ctx context.Context, c domain.StoredCredential, creds domain.Credentials) error {
	a, ok := s.authenticators[c.StorageType]
	if !ok {
		return domain.Errorf(domain.KindInvalidInput, "provider %s is not supported by this server yet; use one of %s", c.StorageType, s.supported)
	}
	creds, err := BindOrganization(ctx, s.externalIDs, c.OrgID, creds)
	if err != nil {
		return err
	}
	return a.Authenticate(ctx, domain.CredentialTarget{StorageType: c.StorageType, Endpoint: c.Endpoint, Region: c.Region, Credentials: creds})
}

func (s *Buckets) requireCredentialStore() error {
	if s.credentialStore == nil {
		return domain.Errorf(domain.KindNotImplemented, "this server keeps no API keys")
	}
	return nil
}

// logCredential is logOutcome for the credential use cases, with the credential's id.
func (s *Buckets) logCredential(ctx context.Context, op string, p domain.Principal, credentialID string, err error, attrs ...slog.Attr) {
	s.logOutcome(ctx, op, p, "", err, append(attrs, slog.String("api_key_id", credentialID))...)
}
