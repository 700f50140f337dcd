package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
)

// The Echo+pgx ceiling answers the read endpoints from the database the way the least a Go
// server must do for them: an Echo handler, a pgx pool with pgxpool's defaults, one select of
// the columns the answer shows, the rows written as JSON. It has no authentication, validation,
// logging or metrics; the organization is fixed (the one bucketd's reads use), so the select is
// bucketd's, scoped to one organization's live buckets, and so its index and rows.
//
// Its paths are bucketd's under pgxPrefix, beside the fixed-body handlers in the same process.
const pgxPrefix = "/pgx"

// answerColumns are the columns of api.Bucket, in the order of scanAnswer's targets; the
// optional fields are NULL when bucketd leaves them out of its answer.
const answerColumns = "id, name, bucket, storage_type, region, NULLIF(endpoint, ''), workspace_id, status, last_status_at, " +
	"key_hint, secret_fingerprint, secret_version, credentials_updated_at, created_at, updated_at, credential_id"

var (
	pgxReadQuery = "SELECT " + answerColumns + " FROM buckets WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL"
	// pgxListQuery is bucketd's default page: up to domain.MaxPageSize buckets in id order, and
	// one more, which would tell that another page follows.
	pgxListQuery = "SELECT " + answerColumns + " FROM buckets WHERE org_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT $2"
)

// scanAnswer reads one row of answerColumns into b.
func scanAnswer(row pgx.Row, b *api.Bucket) error {
	return row.Scan(&b.Id, &b.Name, &b.Bucket, &b.StorageType, &b.Region, &b.Endpoint, &b.WorkspaceId, &b.Status,
		&b.LastStatusAt, &b.KeyHint, &b.SecretFingerprint, &b.SecretVersion, &b.CredentialsUpdatedAt, &b.CreatedAt,
		&b.UpdatedAt, &b.ApiKeyId)
}

// routePgx adds the Echo+pgx handlers of orgID's buckets to e, on a pool of dbURL whose first
// connection it opens, so that a wrong URL fails the run before any measurement; the caller
// closes the pool.
func routePgx(ctx context.Context, e *echo.Echo, dbURL, orgID string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	// Times in UTC, as bucketd answers them, so that the answers are alike to the byte.
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, redactURL(err, dbURL)
	}
	e.GET(pgxPrefix+"/bucket/:id", func(c echo.Context) error {
		var b api.Bucket
		err := scanAnswer(pool.QueryRow(c.Request().Context(), pgxReadQuery, c.Param("id"), orgID), &b)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, api.BucketResponse{Success: true, Bucket: b})
	})
	e.GET(pgxPrefix+"/bucket", func(c echo.Context) error {
		rows, err := pool.Query(c.Request().Context(), pgxListQuery, orgID, domain.MaxPageSize+1)
		if err != nil {
			return err
		}
		page := api.BucketList{Success: true, Buckets: make([]api.Bucket, 0, listSize)}
		var b api.Bucket
		for rows.Next() {
			b = api.Bucket{}
			if err := scanAnswer(rows, &b); err != nil {
				rows.Close()
				return err
			}
			page.Buckets = append(page.Buckets, b)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	return pool, nil
}

// checkSameAnswers fails unless the Echo+pgx handlers answer what bucketd answered for the
// fixture's first bucket and its page (bucketd's bodies are fx.oneBody and fx.listBody), field
// for field: the ceiling must do the work of the same answer.
func checkSameAnswers(ctx context.Context, fx *fixture, pgxURL string) error {
	for _, c := range []struct {
		path, bucketd string
		v             func() any
	}{
		{"/bucket/" + fx.ids[0], string(fx.oneBody), func() any { return new(api.BucketResponse) }},
		{"/bucket", string(fx.listBody), func() any { return new(api.BucketList) }},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, pgxURL+c.path, nil)
		if err != nil {
			return err
		}
		body, err := doRaw(req)
		if err != nil {
			return fmt.Errorf("the Echo+pgx ceiling: %w", err)
		}
		got, err := canonicalJSON(body, c.v())
		if err != nil {
			return fmt.Errorf("the Echo+pgx ceiling's answer to GET %s: %w", c.path, err)
		}
		want, err := canonicalJSON([]byte(c.bucketd), c.v())
		if err != nil {
			return fmt.Errorf("bucketd's answer to GET %s: %w", c.path, err)
		}
		if got != want {
			return fmt.Errorf("the Echo+pgx ceiling answers GET %s with\n%s\nbut bucketd with\n%s", c.path, got, want)
		}
	}
	return nil
}

// canonicalJSON decodes body into v and encodes it again, so that two answers of the same
// fields compare equal whatever their order and spacing.
func canonicalJSON(body []byte, v any) (string, error) {
	if err := json.Unmarshal(body, v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}
