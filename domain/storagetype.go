package domain

// StorageType names the provider family a bucket lives at.
type StorageType string

// The canonical storage types. Every rule and every provider is chosen by one of these; a
// bucket's answers spell it as the bucket was registered (Bucket.StorageTypeSpelling).
const (
	StorageS3    StorageType = "S3"
	StorageGCS   StorageType = "GCS"
	StorageAzure StorageType = "AZURE"
)

// BlobSpelling is the name Flashback's TypeScript client gives Azure Blob Storage.
const BlobSpelling = "BLOB"

// ParseStorageType accepts the canonical names and BLOB, the alias Flashback's TypeScript
// client sends for Azure since May 2025.
func ParseStorageType(s string) (StorageType, error) {
	switch s {
	case "S3":
		return StorageS3, nil
	case "GCS":
		return StorageGCS, nil
	case "AZURE", BlobSpelling:
		return StorageAzure, nil
	}
	return "", Errorf(KindInvalidInput, "storageType %q is not one of S3, GCS, AZURE (or BLOB)", s)
}
