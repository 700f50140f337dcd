package providercheck

import "fmt"

// RegionDetected is the region check's message when no region was given and the provider
// reported the bucket's: the region bucketd stores for it. Every validator that can learn a
// region words it through here, so the report reads the same for S3 and GCS.
func RegionDetected(bucket, region string) string {
	return fmt.Sprintf("bucket %s is in %s (detected: no region was given)", bucket, region)
}

// RegionUndetected is the region check's message when no region was given and the provider
// reported none (reason says what it answered instead): the bucket's region stays empty, as
// nothing is guessed.
func RegionUndetected(reason string) string {
	return "skipped: no region was given and it could not be detected: " + reason
}
