CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"job_id" text NOT NULL,
	"event_type" text NOT NULL,
	"url" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"attempt_log" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"payload" text,
	"last_status_code" integer,
	"last_error" text,
	"next_attempt_at" timestamp with time zone,
	"enqueued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"url" text,
	"secret_sealed" text NOT NULL,
	"secret_created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"previous_secret_sealed" text,
	"previous_secret_expires_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_tenant_id_id_idx" ON "webhook_deliveries" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_job_id_idx" ON "webhook_deliveries" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
-- The outbox: the UPDATE that makes a job terminal inserts its webhook message in the same
-- transaction, so a crash can never record the state and lose the message (nor write a message
-- for a state never recorded). Every terminal transition (complete, fail, cancel, batched or
-- not) is an UPDATE of jobs.status guarded by "status not terminal", so this fires once per job.
-- The job's own webhook_url wins over the tenant's enabled endpoint; with neither, nothing is written.
CREATE FUNCTION "webhook_outbox_on_terminal"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target text := NEW.request ->> 'webhook_url';
BEGIN
  IF target IS NULL THEN
    SELECT url INTO target FROM webhook_endpoints WHERE tenant_id = NEW.tenant_id AND disabled_at IS NULL;
  END IF;
  IF target IS NOT NULL THEN
    INSERT INTO webhook_deliveries (id, tenant_id, job_id, event_type, url, next_attempt_at)
    VALUES ('msg_' || NEW.id, NEW.tenant_id, NEW.id, 'job.' || NEW.status, target, now())
    ON CONFLICT (id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "jobs_webhook_outbox" AFTER UPDATE OF "status" ON "jobs" FOR EACH ROW
  WHEN (NEW.status IN ('succeeded', 'failed', 'canceled') AND OLD.status NOT IN ('succeeded', 'failed', 'canceled'))
  EXECUTE FUNCTION "webhook_outbox_on_terminal"();
