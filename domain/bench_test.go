package domain_test

import (
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

// The name rules run on every create, validate and update request, before any provider call;
// these benchmarks show what they cost on the inputs they typically see, and on the refusals.

// longUnicodeName is a display name of the longest length allowed, mixing Latin letters with
// symbols and CJK that take three bytes each in UTF-8.
var longUnicodeName = string([]rune(strings.Repeat("Sauvegarde ✓ 夜間バックアップ ", 6))[:domain.MaxNameLength])

func BenchmarkNormalizeName(b *testing.B) {
	for _, bc := range []struct {
		name, in string
		ok       bool
	}{
		{"ascii", "  My S3 Bucket\t", true},
		{"unicode 128 characters", longUnicodeName, true},
		{"control character", "nightly\x00backup", false},
		{"too long", strings.Repeat("桶", domain.MaxNameLength+1), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := domain.NormalizeName(bc.in); (err == nil) != bc.ok {
				b.Fatalf("NormalizeName(%q) = %v, want ok=%v", bc.in, err, bc.ok)
			}
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = domain.NormalizeName(bc.in)
			}
		})
	}
}

// BenchmarkNameKey is the comparison form every create and rename computes once.
func BenchmarkNameKey(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"ascii", "My S3 Bucket"},
		{"unicode 128 characters", longUnicodeName},
		{"fullwidth", "Ｍｙ　Ｓ３　Ｂｕｃｋｅｔ"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = domain.NameKey(bc.in)
			}
		})
	}
}

func BenchmarkValidateBucketName(b *testing.B) {
	for _, bc := range []struct {
		name   string
		typ    domain.StorageType
		bucket string
		custom bool
		ok     bool
	}{
		{"s3 aws", domain.StorageS3, "acme-prod-backups.eu-west-1", false, true},
		{"s3 custom endpoint", domain.StorageS3, "Acme_Prod-Backups.v2", true, true},
		{"gcs dotted", domain.StorageGCS, "backups.acme-prod.example.com", false, true},
		{"azure", domain.StorageAzure, "acme-prod-backups", false, true},
		{"s3 uppercase", domain.StorageS3, "Acme-Prod-Backups", false, false},
		{"s3 ip address", domain.StorageS3, "192.168.5.4", false, false},
		{"s3 huge", domain.StorageS3, strings.Repeat("x", 64<<10), false, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if err := domain.ValidateBucketName(bc.typ, bc.bucket, bc.custom); (err == nil) != bc.ok {
				b.Fatalf("ValidateBucketName(%s, %q, custom=%v) = %v, want ok=%v", bc.typ, bc.bucket, bc.custom, err, bc.ok)
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = domain.ValidateBucketName(bc.typ, bc.bucket, bc.custom)
			}
		})
	}
}
