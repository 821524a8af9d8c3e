// Package sqlstore is a sync.Store in the host's own SQL database: PostgreSQL, MySQL or MariaDB,
// or SQLite, through database/sql.
//
// The host opens the database with the driver of its choice and passes the *sql.DB; this package
// imports no driver, so importers build only the one they use:
//
//	db, err := sql.Open("pgx", dsn) // github.com/jackc/pgx/v5/stdlib
//	...
//	store, err := sqlstore.New(db, sqlstore.Options{Dialect: sqlstore.Postgres, TablePrefix: "tobira_"})
//	...
//	if err := store.Migrate(ctx); err != nil { ... }
//
// # Schema
//
// Every table name starts with Options.TablePrefix, so the store lives beside the host's tables.
// Migrate creates the tables and brings them to the version this build knows; it records each
// applied version in the table <prefix>migrations and is safe to run from several processes at
// once (it takes a database lock while it works). A host that runs its migrations as a deployment
// step calls Migrate there; one that does not sets Options.AutoMigrate and the store migrates
// before its first use.
//
// Records (orders, shipments, quarantined items, reservations, levels) are kept whole as JSON, so
// fields added to them in later versions survive without a migration, beside indexed columns for
// their keys, their version, whether they are pending and a sequence for "oldest first". On
// PostgreSQL and SQLite, partial indexes hold only the pending rows and only the held ones, so
// the listings of work waiting and of holds follow open work, not the ledger's history.
//
// # Concurrency
//
// The store holds no locks of its own: several engine replicas, each with its own *sql.DB, may share
// one database. Every compare-and-set is a single statement (an UPDATE that names the expected
// version and checks the rows it affected, or an INSERT that does nothing when the key exists), and
// a lease is taken by one upsert whose WHERE clause names the owner and the expiry, with the time the
// caller passes, so that the database decides who wins.
//
// The store also implements ledger.BatchOrderLedger, ledger.BatchReservations and
// ledger.ReservingOrderLedger, which the engine uses for a page of orders: GetOrders reads a page
// in one query, PutOrders writes it on PostgreSQL with one INSERT ... ON CONFLICT DO NOTHING and
// one UPDATE joined to the batch (each row still compared on its version, RETURNING naming the
// rows written), the batch passed as one array parameter a column so that the statement text is
// the same for every batch, and elsewhere with the single-record statements in one short
// transaction; PutReservations is one multi-row upsert. PutOrdersReserving writes each record's
// reservation with it: on PostgreSQL in the same statement (common table expressions joined to
// the rows written), elsewhere in the same transaction.
//
// The store keeps the order records it wrote or read lately decoded (Options.RecordCache), and
// serves a row from them only when its version and its JSON text are the ones kept, byte for
// byte; the database is asked every time, so a row another process changed is never served stale.
//
// # Retention
//
// The store implements ledger.Compactor: CompactOrders moves settled orders out of
// <prefix>orders into <prefix>tombstones (schema version 3), one narrow row each (key,
// fingerprint, status, the order's time), reading the merchant's rows along the primary key a
// page at a time and moving each page in one short transaction, the delete compared on the
// version read, so intake waits on it for milliseconds at most and a record changed meanwhile
// stays. Engine.Compact calls it from the host's scheduler.
//
// "Oldest first" follows a sequence the store assigns when a record becomes pending: the wall clock
// in nanoseconds, kept strictly increasing within the process. Across replicas it is as good as
// their clocks, which is what fairness needs; correctness never depends on it.
//
// # The host's transaction
//
// PutShipmentTx writes to the shipment outbox inside a *sql.Tx the host opened, so that a
// warehouse system records "shipped" in its own tables and "tell the channel" in the outbox in one
// commit; the engine's SyncShipments then confirms it to the channel.
//
// # Tests
//
// The tests run sync/storetest on each dialect against real databases: PostgreSQL and
// MySQL/MariaDB named by TOBIRA_TEST_POSTGRES (a URL such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and TOBIRA_TEST_MYSQL (a
// go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test), and SQLite in a temporary file. A
// database whose variable is unset is skipped with a message, unless CI is set, in which case the
// test fails. The drivers are test-only imports: importers of this package build none of them.
//
// # Errors
//
// Methods return sync.ErrNotFound when a record does not exist and sync.ErrConflict when a
// compare-and-set finds another version or an insert finds the key taken; test for them with
// errors.Is. A cancelled or expired context is returned as the context's error (possibly wrapped by
// the driver). Any other error comes from the driver, wrapped with the operation that failed; the
// store does not retry, since the engine does.
//
// On MySQL and MariaDB, keys (merchant, channel, order and SKU IDs) longer than 255 bytes, and
// shipment, quarantine, cursor and lease names longer than 1024 bytes, are rejected by the database.
package sqlstore
