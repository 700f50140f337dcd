package domain_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"My S3 Bucket", "My S3 Bucket", true},
		{"  padded\t", "padded", true},
		{"Ünïcødé 桶", "Ünïcødé 桶", true},
		{strings.Repeat("é", 128), strings.Repeat("é", 128), true},
		{strings.Repeat("é", 129), "", false},
		{"", "", false},
		{"   ", "", false},
		{"tab\tinside", "", false},
		{"new\nline", "", false},
		{"nul\x00", "", false},
		{"bad \xff utf8", "", false},
		{"del\u007f", "", false},
	} {
		got, err := domain.NormalizeName(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("NormalizeName(%q): error kind %v, want invalid input", tc.in, domain.KindOf(err))
		}
	}
}

func TestValidateBucketName(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct {
		typ    domain.StorageType
		bucket string
		custom bool
		ok     bool
	}{
		{domain.StorageS3, "my-bucket.v2", false, true},
		{domain.StorageS3, "ab", false, false},
		{domain.StorageS3, long, false, false},
		{domain.StorageS3, "My-Bucket", false, false},
		{domain.StorageS3, "-bucket", false, false},
		{domain.StorageS3, "bucket-", false, false},
		{domain.StorageS3, "a..b", false, false},
		{domain.StorageS3, "192.168.5.4", false, false},
		{domain.StorageS3, "xn--bucket", false, false},
		{domain.StorageS3, "bucket-s3alias", false, false},
		{domain.StorageS3, "under_score", false, false},
		{domain.StorageS3, "My_Bucket", true, true},
		{domain.StorageS3, "a", true, true},
		{domain.StorageS3, "with/slash", true, false},
		{domain.StorageS3, "", true, false},
		{domain.StorageGCS, "my_bucket-1", false, true},
		{domain.StorageGCS, strings.Repeat("a", 63) + "." + strings.Repeat("b", 63), false, true},
		{domain.StorageGCS, long, false, false},
		{domain.StorageGCS, "goog-bucket", false, false},
		{domain.StorageGCS, "my-google-bucket", false, false},
		{domain.StorageGCS, "a..b", false, false},
		{domain.StorageAzure, "container-1", false, true},
		{domain.StorageAzure, "$root", false, true},
		{domain.StorageAzure, "$web", false, true},
		{domain.StorageAzure, "double--hyphen", false, false},
		{domain.StorageAzure, "Upper", false, false},
		{domain.StorageAzure, "my.container", false, false},
		{domain.StorageType("FTP"), "bucket", false, false},
	} {
		err := domain.ValidateBucketName(tc.typ, tc.bucket, tc.custom)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateBucketName(%s, %q, custom=%v) = %v, want ok=%v", tc.typ, tc.bucket, tc.custom, err, tc.ok)
		}
	}
}

func TestBucketNameErrorIsShortForHugeInput(t *testing.T) {
	err := domain.ValidateBucketName(domain.StorageS3, strings.Repeat("x", 100_000), false)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error for a huge name should be short, got %d bytes", len(err.Error()))
	}
}

func TestParseStorageType(t *testing.T) {
	for in, want := range map[string]domain.StorageType{"S3": domain.StorageS3, "GCS": domain.StorageGCS, "AZURE": domain.StorageAzure, "BLOB": domain.StorageAzure} {
		if got, err := domain.ParseStorageType(in); err != nil || got != want {
			t.Errorf("ParseStorageType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s3", "FTP", "Azure"} {
		if _, err := domain.ParseStorageType(in); !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("ParseStorageType(%q) = %v, want invalid input", in, err)
		}
	}
}

func TestQuota(t *testing.T) {
	five := 5
	if got := domain.EffectiveBucketLimit(domain.PlanFreeTrial, nil); got != 10 {
		t.Errorf("free trial limit = %d, want 10", got)
	}
	if got := domain.EffectiveBucketLimit(domain.PlanTeam, &five); got != 5 {
		t.Errorf("override = %d, want 5", got)
	}
	if got := domain.Plan("TYPO").BucketLimit(); got != 10 {
		t.Errorf("an unknown plan must fall back to the free trial, got %d", got)
	}
	q := domain.Quota{Plan: domain.PlanFreeTrial, Used: 9, Limit: 10}
	if q.Full() || q.Err() != nil {
		t.Error("9 of 10 is not full")
	}
	q.Used = 10
	err := q.Err()
	if !domain.IsKind(err, domain.KindQuotaExceeded) || !strings.Contains(err.Error(), "10 of 10") {
		t.Errorf("full quota error = %v", err)
	}
	if _, err := domain.ParsePlan("GOLD"); err == nil {
		t.Error("ParsePlan accepted an unknown plan")
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := domain.NewID()
		if !domain.IsID(id) || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("NewID() = %q is not a UUIDv7", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if id[:8] < prev[:min(8, len(prev))] {
			t.Fatalf("ids must be time-ordered: %s after %s", id, prev)
		}
		prev = id
	}
	if domain.IsID("not-a-uuid") || domain.IsID("0192f7a4-5b6c-7d8e-9f01-23456789abcg") || domain.IsID("0192f7a4x5b6c-7d8e-9f01-23456789abcd") {
		t.Error("IsID accepted a non-UUID")
	}
}

func TestPrincipalMayUseWorkspace(t *testing.T) {
	admin := domain.Principal{Role: domain.RoleAdmin}
	member := domain.Principal{Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{"w1": domain.WorkspaceRead}}
	if !admin.MayUseWorkspace("any") || !member.MayUseWorkspace("w1") || member.MayUseWorkspace("w2") {
		t.Error("admins reach every workspace, members only their own")
	}
}

// TestWorkspaceRoles checks that each role grants what the roles below it grant and no more,
// that organization admins have every role everywhere, and that an unknown role grants nothing.
func TestWorkspaceRoles(t *testing.T) {
	roles := []domain.WorkspaceRole{domain.WorkspaceRead, domain.WorkspaceWrite, domain.WorkspaceAdmin}
	for i, have := range roles {
		member := domain.Principal{Role: domain.RoleMember, Workspaces: map[string]domain.WorkspaceRole{"w": have}}
		for j, need := range roles {
			if got := member.MayInWorkspace("w", need); got != (i >= j) {
				t.Errorf("a %s member may act as %s: %v; want %v", have, need, got, i >= j)
			}
			if member.MayInWorkspace("other", need) {
				t.Errorf("a %s member of w may act as %s in another workspace", have, need)
			}
			if !(domain.Principal{Role: domain.RoleAdmin}).MayInWorkspace("any", need) {
				t.Errorf("an organization admin may not act as %s", need)
			}
		}
		if parsed, err := domain.ParseWorkspaceRole(string(have)); err != nil || parsed != have {
			t.Errorf("ParseWorkspaceRole(%s) = %q, %v", have, parsed, err)
		}
	}
	if domain.WorkspaceRole("OWNER").Grants(domain.WorkspaceRead) {
		t.Error("an unknown role grants READ")
	}
	if _, err := domain.ParseWorkspaceRole("read"); !domain.IsKind(err, domain.KindInvalidInput) || !strings.Contains(err.Error(), "READ, WRITE, ADMIN") {
		t.Errorf("ParseWorkspaceRole(read) = %v; want an invalid input naming the roles", err)
	}
}

func TestTokens(t *testing.T) {
	a, b := domain.NewToken(), domain.NewToken()
	if a.Reveal() == b.Reveal() || !strings.HasPrefix(a.Reveal(), "bkd_") || len(a.Reveal()) < 40 {
		t.Errorf("tokens must be random and prefixed: %d chars", len(a.Reveal()))
	}
	if string(domain.TokenDigest(a)) == string(domain.TokenDigest(b)) || len(domain.TokenDigest(a)) != 32 {
		t.Error("digests must be 32-byte SHA-256 values that differ per token")
	}
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"My Bucket", "  x  ", "\x00", "\xff", strings.Repeat("a", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := domain.NormalizeName(in)
		if err != nil {
			return
		}
		if out != strings.TrimSpace(out) || out == "" || len([]rune(out)) > domain.MaxNameLength {
			t.Fatalf("NormalizeName(%q) = %q breaks its own rules", in, out)
		}
		if again, err := domain.NormalizeName(out); err != nil || again != out {
			t.Fatalf("NormalizeName is not idempotent on %q", out)
		}
	})
}

func FuzzValidateBucketName(f *testing.F) {
	for _, s := range []string{"my-bucket", "a..b", "$root", "xn--x", "1.2.3.4"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, custom bool) {
		for _, typ := range []domain.StorageType{domain.StorageS3, domain.StorageGCS, domain.StorageAzure} {
			if err := domain.ValidateBucketName(typ, in, custom); err == nil && (in == "" || strings.ContainsAny(in, "/ ?#")) {
				t.Fatalf("%s accepted %q", typ, in)
			}
		}
	})
}
