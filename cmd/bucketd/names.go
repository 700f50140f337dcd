package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/bucketd/bucketd/adapters/gormstore"
)

// reportNameCollisions prints the groups of live buckets whose names compare equal because they
// were stored before names were compared by domain.NameKey, for the operator to resolve, and
// warns that it did; it prints nothing when there are none. Names are quoted with their
// invisible characters escaped, since those are often the only difference.
func reportNameCollisions(ctx context.Context, store *gormstore.Store, w io.Writer, log *slog.Logger) error {
	collisions, err := store.NameCollisions(ctx)
	if err != nil || len(collisions) == 0 {
		return err
	}
	log.Warn("bucket names compare equal; see the report on stdout", slog.Int("groups", len(collisions)))
	fmt.Fprintln(w, "These buckets were stored before names were compared under Unicode NFKC with case folding,")
	fmt.Fprintln(w, "ignoring invisible characters, and their names now compare equal. Each keeps working under")
	fmt.Fprintln(w, "its name, and no new name can take it. Rename all but one bucket of each group:")
	for _, c := range collisions {
		fmt.Fprintf(w, "organization %s:\n", c.OrgID)
		for _, b := range c.Buckets {
			fmt.Fprintf(w, "  bucket %s %q\n", b.ID, b.Name)
		}
	}
	return nil
}
