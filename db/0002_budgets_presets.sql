CREATE TABLE "budget_counters" (
	"tenant_id" text NOT NULL,
	"period" text NOT NULL,
	"reserved_usd" double precision DEFAULT 0 NOT NULL,
	"spent_usd" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_counters_pkey" PRIMARY KEY("tenant_id","period")
);
--> statement-breakpoint
CREATE TABLE "budget_reservations" (
	"job_id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"periods" text[] NOT NULL,
	"usd" double precision NOT NULL,
	"actual_usd" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "presets" (
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text,
	"model" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "presets_pkey" PRIMARY KEY("tenant_id","name")
);
--> statement-breakpoint
CREATE INDEX "budget_reservations_open_idx" ON "budget_reservations" USING btree ("created_at") WHERE "budget_reservations"."settled_at" is null;