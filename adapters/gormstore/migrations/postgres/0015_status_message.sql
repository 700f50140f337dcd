-- Why a bucket has its status: the message of the check that failed when the last validation
-- found it OFFLINE, NULL when it is ONLINE or UNKNOWN. Buckets found OFFLINE before this column
-- have none until their next validation.
ALTER TABLE buckets ADD COLUMN status_message text;
