/* The route table (one declaration per route) and the path matcher. */
#include "server/http/routes.h"

#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "server/api/handlers.h"
#include "server/api/handlers_accounts.h"
#include "server/api/handlers_billing.h"
#include "server/api/handlers_compliance.h"
#include "server/api/handlers_providers.h"
#include "server/api/handlers_reputation.h"
#include "server/api/handlers_sla.h"
#include "server/api/handlers_transparency.h"
#include "server/api/handlers_trust.h"
#include "server/http/openapi.h"
#include "core/jobstate.h"
#include "core/sla.h"
#include "core/states.h"
#include "core/trust.h"
#include "core/usage.h"

#define KB(n) ((size_t)(n) << 10)
#define MAX_VRAM_MGB (INT64_C(4096) * 1000)  /* 4096 GB at 3 decimals */
#define ANY_LENGTH INT64_MAX /* a query filter of any length (it only narrows a listing) */
#define MAX_PRICE_UCAD (INT64_C(1000) * 1000000) /* 1000 CAD at 6 decimals */

/* ---- declared inputs, shared by the table below ----
 * Field order is check order: the first field that fails is the one the 422 names. */

static const char *const job_states[] = {
#define X(id, name) name,
    JOBSTATE_STATES(X)
#undef X
    NULL};
static const char *const provinces[] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT", NULL};
static const char *const release_reasons[] = {"completed", "failed", "preempted", "cancelled", NULL};
static const char *const preempt_reasons[] = {"preempt", "cancel", "mining", NULL};
static const char *const mining_actions[] = {"alert", "terminated", NULL};
static const char *const metrics_formats[] = {"prometheus", "json", NULL};
static const char *const caf_formats[] = {"json", "csv", NULL};
static const char *const sort_keys[] = {"price", "vram", "reputation", "score", NULL};
static const char *const sla_tiers[] = {
#define X(id, name, avail, ttft, floor, support, grace, thermal) name,
    SLA_TIERS(X)
#undef X
    NULL};

static const struct field q_metrics[] = {
    F_STR("format", 0, 16, .enums = metrics_formats, .msg = "must be prometheus or json", .doc = "prometheus (default) or json"),
    F_END};
static const struct field b_host_put[] = {
    F_STR("host_id", 1, 64, .required = true, .pattern = &PAT_HOST_ID),
    F_STR("ip", 1, 64, .required = true, .pattern = &PAT_IP),
    F_STR("gpu_model", 1, 128, .required = true),
    F_FIXED("total_vram_gb", 3, 0, MAX_VRAM_MGB, .required = true, .min_excl = true),
    F_FIXED("free_vram_gb", 3, 0, MAX_VRAM_MGB, .required = true, .doc = "at most total_vram_gb"),
    F_INT("gpu_count", 1, 64),
    F_FIXED("cost_per_hour", 6, 0, MAX_PRICE_UCAD, .doc = "CAD per hour"),
    F_STR("country", 0, 2, .doc = "ISO 3166-1 alpha-2 (CA when absent)"),
    F_STR("province", 0, 64, .doc = "for Canadian hosts one of AB BC MB NB NL NS NT NU ON PE QC SK YT"),
    F_OBJ("versions", .doc = "component -> version string (at most 32)"),
    F_ARR("runtimes", .items = FT_STRING, .doc = "container runtimes such as runc, runsc (at most 16)"),
    F_STR("corporation_name", 0, 200),
    F_STR("business_number", 0, 200),
    F_STR("gst_hst_number", 0, 200),
    F_STR("legal_name", 0, 200),
    F_STR("sla_tier", 1, 16, .enums = sla_tiers, .doc = "admin only (others: 403): community (default), secure, sovereign"),
    F_END};
static const struct field b_agent_versions[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_OBJ("versions", .required = true, .doc = "component -> version string (at most 32)"),
    F_ARR("runtimes", .items = FT_STRING, .doc = "container runtimes (at most 16)"),
    F_END};
static const struct field q_hosts[] = {
    F_BOOL("active_only", .dflt = 1),
    F_INT("limit", 1, 5000, .dflt = 5000),
    F_STR("cursor", 1, ANY_LENGTH, .doc = "next_cursor of the previous page"),
    F_END};

/* POST /job and POST /spot/job share every field but max_bid. */
#define JOB_FIELDS                                                                                                     \
    F_STR("name", 1, 128, .required = true, .pattern = &PAT_JOB_NAME),                                                 \
        F_FIXED("vram_needed_gb", 3, 0, MAX_VRAM_MGB, .required = true, .min_excl = true),                             \
        F_INT("priority", 0, 10), F_STR("tier", 0, 32, .doc = "free, standard, premium, urgent (or a trust alias)"),   \
        F_STR("trust_tier", 0, 32, .doc = "community, residency, sovereignty, regulated"), F_INT("num_gpus", 1, 64),   \
        F_STR("image", 0, 255, .pattern = &PAT_IMAGE),                                                                 \
        F_ARR("command", .items = FT_STRING, .doc = "at most 64 arguments of at most 4096 bytes"),                     \
        F_OBJ("environment", .doc = "at most 64 variables; names ^[A-Za-z_][A-Za-z0-9_]{0,127}$"),                     \
        F_STR("nfs_server", 0, 255), F_STR("nfs_path", 0, 512), F_STR("nfs_mount_point", 0, 512),                     \
        F_FIXED("max_duration_hours", 5, 0, INT64_C(720) * 100000, .min_excl = true),                                  \
        F_STR("owner", 0, 64, .pattern = &PAT_OWNER, .doc = "operator only: bill this customer")
static const struct field b_job[] = {JOB_FIELDS, F_END};
static const struct field b_spot_job[] = {
    JOB_FIELDS, F_FIXED("max_bid", 6, 0, MAX_PRICE_UCAD, .required = true, .min_excl = true, .doc = "CAD per hour"),
    F_END};
static const struct field q_jobs[] = {
    F_STR("status", 0, 16, .enums = job_states),
    F_INT("limit", 1, 5000, .dflt = 1000),
    F_INT("offset", 0, INT32_MAX, .dflt = 0),
    F_STR("cursor", 1, ANY_LENGTH, .doc = "next_cursor of the previous page (not with offset)"),
    F_STR("host_id", 0, ANY_LENGTH),
    F_STR("owner", 0, ANY_LENGTH),
    F_STR("team_id", 1, 64, .doc = "jobs of the team's members (members and admins only; else 404)"),
    F_END};
static const struct field b_job_patch[] = {
    F_STR("status", 1, 64, .required = true, .doc = "the target state (an unknown one is a 400)"),
    F_STR("host_id", 0, 64),
    F_INT("exit_code", INT32_MIN, INT32_MAX),
    F_STR("failure_reason", 0, 500),
    F_END};
static const struct field q_job_logs[] = {F_INT("limit", 1, 500, .dflt = 100), F_END};
static const struct field b_failover[] = {F_STR("host_id", 1, 64, .doc = "declare this host lost first"), F_END};
static const struct field b_canada[] = {F_BOOL("enabled", .required = true), F_END};
static const struct field b_pool[] = {
    F_STR("host_id", 1, 64, .required = true, .pattern = &PAT_HOST_ID),
    F_STR("ip", 1, 64, .required = true, .pattern = &PAT_IP),
    F_STR("gpu_model", 1, 128, .required = true),
    F_FIXED("vram_gb", 3, 0, MAX_VRAM_MGB, .required = true, .min_excl = true),
    F_INT("gpu_count", 1, 64),
    F_FIXED("cost_per_hour", 6, 0, MAX_PRICE_UCAD),
    F_STR("country", 0, 2),
    F_STR("province", 0, 64),
    F_END};
#define HOST_JOB_FIELDS F_STR("host_id", 1, 64, .required = true), F_STR("job_id", 1, 64, .required = true)
static const struct field b_lease[] = {HOST_JOB_FIELDS, F_END};
static const struct field b_lease_release[] = {
    HOST_JOB_FIELDS, F_STR("reason", 1, 16, .enums = release_reasons, .doc = "completed when absent"), F_END};
static const struct field b_preempt[] = {
    F_STR("reason", 1, 16, .enums = preempt_reasons, .doc = "preempt when absent"), F_END};
static const struct field b_agent_logs[] = {
    HOST_JOB_FIELDS,
    F_ARR("lines", .required = true, .items = FT_OBJECT,
          .doc = "1..500 of {line: at most 10000 characters, level: info|warn|error|debug, timestamp}"),
    F_END};
static const struct field b_telemetry[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_OBJ("metrics", .doc = "at most 64 metric keys"),
    F_FIXED("timestamp", 6, 0, INT64_C(100000000000000000), .doc = "epoch seconds"),
    F_END};
static const char *const verify_states[] = {"unverified", "verifying", "verified", "deverified", NULL};
static const char *const dc_classes[] = {"", "commercial", "residential", "colocation", NULL};
static const struct field b_benchmark[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_STR("gpu_model", 0, 128, .required = true),
    F_FIXED("tflops", 2, 0, INT64_C(100000000), .required = true, .doc = "measured TFLOPS (the server computes XCU)"),
    F_FIXED("score", 2, INT64_MIN / 2, INT64_MAX / 2, .doc = "ignored: the server computes the score"),
    F_OBJ("details", .doc = "at most 8 KiB"),
    F_END};
static const struct field b_agent_verify[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_OBJ("report", .required = true, .doc = "the measured report (domain §17.10), at most 16 KiB"),
    F_END};
static const struct field q_notes[] = {F_STR("notes", 0, 2000), F_END};
static const struct field b_notes[] = {F_STR("notes", 0, 2000), F_END};
static const struct field q_reason[] = {F_STR("reason", 0, 2000), F_END};
static const struct field b_reason[] = {F_STR("reason", 0, 2000), F_END};
static const struct field q_verified_hosts[] = {F_STR("state", 0, 16, .enums = verify_states), F_END};
static const struct field b_jurisdiction[] = {
    F_STR("country", 0, 2, .doc = "ISO 3166-1 alpha-2, attested"),
    F_STR("province", 0, 64),
    F_STR("city", 0, 200),
    F_STR("data_center_name", 0, 200),
    F_STR("data_center_class", 0, 16, .enums = dc_classes, .doc = "commercial, residential, colocation or empty"),
    F_STR("operator_name", 0, 200),
    F_STR("operator_incorporated_in", 0, 200),
    F_BOOL("operator_registered_canada"),
    F_BOOL("foreign_control"),
    F_BOOL("sovereignty_vetted"),
    F_BOOL("supports_audit_trail"),
    F_BOOL("supports_data_residency"),
    F_END};
/* Jurisdiction filter and the sovereign pass (api §8.4, domain §7.3, §20.3): the four tier
 * names exactly (aliases are for jobs only). exclude_countries' items are checked by the handler. */
static const char *const trust_tiers[] = {
#define X(id, name, label, desc, mult, iso) name,
    JOBSTATE_TRUST_TIERS(X)
#undef X
    NULL};
static const char *const sensitivities[] = {"standard", "sensitive", "regulated", NULL};
#define SOV_FIELDS                                                                                                     \
    F_BOOL("canada_only", .doc = "true when absent"),                                                                  \
        F_STR("province", 0, 64, .doc = "compared case-insensitively with the host's; null or empty: any"),            \
        F_STR("trust_tier", 1, 16, .enums = trust_tiers, .doc = "community, residency, sovereignty or regulated")
static const struct field b_juris_hosts[] = {
    SOV_FIELDS,
    F_ARR("exclude_countries", .items = FT_STRING, .doc = "country codes (upper-cased), at most 300"),
    F_BOOL("require_verified"),
    F_BOOL("require_sovereignty"),
    F_BOOL("require_audit_trail"),
    F_STR("data_sensitivity", 1, 16, .enums = sensitivities, .doc = "standard (default), sensitive or regulated"),
    F_END};
static const struct field b_sovereign_pass[] = {SOV_FIELDS, F_END};
static const struct field q_popular_images[] = {F_INT("limit", 1, 50, .dflt = 10), F_END};
static const struct field q_speedtest[] = {
    F_INT("bytes", 1, 50000000, .dflt = 10000000, .doc = "how many zero bytes to send"), F_END};
static const struct field b_mining[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_INT("gpu_index", 0, 64, .required = true),
    F_FIXED("confidence", 6, 0, 1000000, .required = true, .doc = "0..1"),
    F_STR("reason", 1, 500, .required = true),
    F_STR("job_id", 0, 64),
    F_STR("action", 1, 16, .enums = mining_actions, .msg = "must be alert or terminated"),
    F_END};
static const struct field b_test_clock[] = {
    F_INT("advance_sec", 0, INT64_C(100) * 365 * 86400, .required = true), F_END};

#define PERIOD_FIELDS                                                                                                  \
    F_TS("period_start", .doc = "epoch seconds; defaults depend on the route"), F_TS("period_end", .doc = "epoch seconds; now when absent")
static const struct field q_billing[] = {
    F_INT("limit", 1, 5000, .dflt = 1000),
    F_INT("offset", 0, INT32_MAX, .dflt = 0),
    F_TS("since"),
    F_TS("until"),
    F_STR("job_id", 0, ANY_LENGTH),
    F_STR("host_id", 0, ANY_LENGTH),
    F_STR("owner", 0, ANY_LENGTH),
    F_END};
static const struct field q_since_until[] = {F_TS("since"), F_TS("until"), F_END};
static const struct field b_deposit[] = {
    F_FIXED("amount_cad", 6, 0, INT64_C(100000) * 1000000, .required = true, .min_excl = true),
    F_STR("description", 0, 200),
    F_STR("reference", 1, 100, .doc = "idempotency reference"),
    F_STR("province", 0, 8, .enums = provinces, .nocase = true),
    F_STR("customer_name", 0, 200),
    F_END};
static const struct field q_wallet_history[] = {F_INT("limit", 1, 500, .dflt = 50), F_TS("since"), F_TS("until"), F_END};
static const struct field b_customer[] = {
    F_STR("province", 0, 8, .enums = provinces, .nocase = true),
    F_STR("customer_name", 0, 200),
    F_STR("name", 0, 200, .doc = "alias of customer_name"),
    F_END};
static const struct field q_period[] = {PERIOD_FIELDS, F_END};
static const struct field q_invoice[] = {
    PERIOD_FIELDS, F_STR("province", 0, 8, .enums = provinces, .nocase = true), F_STR("customer_name", 0, 200), F_END};
static const struct field q_invoices[] = {F_INT("limit", 1, 60, .dflt = 12), F_END};
static const struct field b_refund[] = {
    F_STR("job_id", 1, 64, .required = true),
    F_INT("exit_code", INT32_MIN, INT32_MAX, .required = true),
    F_STR("failure_reason", 0, 500),
    F_END};
static const struct field q_caf[] = {
    PERIOD_FIELDS, F_STR("format", 0, 8, .enums = caf_formats, .msg = "must be json or csv"), F_END};
static const struct field q_attestation[] = {PERIOD_FIELDS, F_STR("customer_id", 1, 64, .pattern = &PAT_CUSTOMER_ID), F_END};
static const struct field b_attestation_verify[] = {F_OBJ("attestation", .required = true), F_END};
static const struct field b_estimate[] = {
    F_STR("gpu_model", 0, 128, .doc = "RTX 4090 when absent"),
    F_FIXED("duration_hours", 6, 0, INT64_C(8760) * 1000000, .min_excl = true),
    F_INT("num_gpus", 1, 64),
    F_BOOL("spot"),
    F_STR("trust_tier", 0, 32, .doc = "community, residency, sovereignty, regulated"),
    F_BOOL("sovereignty"),
    F_BOOL("is_canadian"),
    F_STR("tier", 0, 32, .doc = "free, standard, premium, urgent"),
    F_END};
static const struct field b_market_list[] = {
    F_STR("host_id", 1, 64, .required = true),
    F_FIXED("price_per_hour", 6, 0, MAX_PRICE_UCAD, .required = true, .min_excl = true),
    F_STR("gpu_model", 1, 128),
    F_FIXED("vram_gb", 3, 0, MAX_VRAM_MGB, .min_excl = true),
    F_STR("description", 0, 500),
    F_END};
static const struct field q_market[] = {F_BOOL("active_only", .dflt = 1), F_END};
static const struct field q_market_search[] = {
    F_STR("gpu_model", 0, ANY_LENGTH),
    F_STR("province", 0, ANY_LENGTH),
    F_STR("country", 0, ANY_LENGTH),
    F_STR("sort_by", 0, 16, .enums = sort_keys),
    F_FIXED("min_vram", 3, INT64_MIN, INT64_MAX),
    F_FIXED("max_price", 6, INT64_MIN, INT64_MAX),
    F_FIXED("min_reputation", 1, INT64_MIN, INT64_MAX),
    F_INT("limit", 1, 500, .dflt = 50),
    F_END};
static const struct field q_spot[] = {F_BOOL("history", .dflt = 0), F_INT("limit", 1, 1000, .dflt = 100), F_END};

/* Compliance, reserved plans and analytics (api §8.5). A commitment_type outside the plans and a
 * GPU model that is not a reference key are the spec's 400s (handler), not 422s. */
static const char *const usage_groups[] = {
#define X(id, name) name,
    USAGE_GROUPS(X)
#undef X
    NULL};
static const struct field q_tax_rates[] = {F_TS("at", .doc = "epoch seconds; now when absent"), F_END};
static const struct field b_pia[] = {
    F_STR("data_origin_province", 0, 64, .doc = "QC when absent (compared upper-cased)"),
    F_STR("processing_province", 0, 64, .doc = "ON when absent (compared upper-cased)"),
    F_BOOL("data_contains_pi", .doc = "false when absent"),
    F_END};
static const struct field b_reserve[] = {
    F_STR("customer_id", 1, 64, .required = true, .pattern = &PAT_CUSTOMER_ID,
          .doc = "the caller's own customer unless admin"),
    F_STR("gpu_model", 0, 128, .doc = "a reference model key exactly (RTX 4090 when absent)"),
    F_STR("commitment_type", 0, 64, .doc = "1_month (default), 3_month or 1_year"),
    F_INT("quantity", 1, 1000, .doc = "GPUs (1 when absent)"),
    F_STR("province", 0, 8, .enums = provinces, .nocase = true, .doc = "place of supply (ON when absent)"),
    F_END};
static const struct field q_analytics[] = {
    F_STR("customer_id", 1, 64, .pattern = &PAT_CUSTOMER_ID, .doc = "users: their own (the default)"),
    F_STR("provider_id", 1, 64, .doc = "records on the provider's hosts (users: their own provider id)"),
    F_INT("days", 1, 366, .dflt = 30),
    F_STR("group_by", 0, 16, .enums = usage_groups, .msg = "must be one of day, week, gpu_model, province",
          .doc = "day (default), week (ISO YYYY-Www), gpu_model or province"),
    F_END};
/* Reputation (api §8.9, §7.3). An unknown verification or penalty type is the spec's 400 (with
 * its message), so those two carry no enum here; entity types are a plain enum (422). */
static const char *const rep_entity_types[] = {"host", "user", NULL};
#define REP_ENTITY_FIELDS F_STR("entity_type", 1, 8, .enums = rep_entity_types, .doc = "host (default) or user (id = customer id)")
static const struct field q_rep_entity[] = {REP_ENTITY_FIELDS, F_END};
static const struct field q_rep_history[] = {F_INT("limit", 1, 500, .dflt = 50), REP_ENTITY_FIELDS, F_END};
static const struct field q_rep_leaderboard[] = {REP_ENTITY_FIELDS, F_INT("limit", 1, 100, .dflt = 20), F_END};
static const struct field b_rep_verify[] = {
    F_STR("entity_id", 1, 64, .required = true, .pattern = &PAT_HOST_ID),
    F_STR("verification_type", 1, 64, .required = true, .doc = "email, phone, gov_id, hardware_audit, incorporation, data_center"),
    REP_ENTITY_FIELDS,
    F_END};
static const struct field b_rep_penalty[] = {
    F_STR("penalty_type", 1, 64, .required = true,
          .doc = "job_failure_host, chargeback, fraud_flag, sla_breach, security_incident, hardware_damage, terms_violation"),
    F_STR("reason", 0, 120),
    REP_ENTITY_FIELDS,
    F_END};

/* Providers, payouts and payments (api §8.5, §8.7). Business and GST/HST numbers are checked by
 * the service (their formats are CRA rules with their own 400 messages). */
static const char *const provider_types[] = {"individual", "company", NULL};
static const char *const provider_states[] = {"onboarding", "active", "suspended", NULL};
static const char *const provinces_or_none[] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT", "", NULL};
static const char *const currencies[] = {"cad", NULL};
static const struct field b_provider_register[] = {
    F_STR("provider_type", 1, 16, .enums = provider_types, .doc = "individual (default) or company"),
    F_STR("email", 0, 254, .doc = "the payout contact; the account's e-mail when absent"),
    F_STR("corporation_name", 0, 200, .doc = "required for company providers"),
    F_STR("business_number", 0, 32, .doc = "CRA business number: 9 digits, or 123456789RC0001"),
    F_STR("gst_hst_number", 0, 32, .doc = "GST/HST registration: 123456789RT0001"),
    F_STR("legal_name", 0, 200),
    F_STR("province", 0, 8, .enums = provinces_or_none, .nocase = true,
          .msg = "must be one of AB BC MB NB NL NS NT NU ON PE QC SK YT, or empty"),
    F_END};
static const struct field q_providers[] = {
    F_STR("status", 1, 16, .enums = provider_states), F_END};
static const struct field b_incorporation[] = {
    F_STR("file_id", 1, 200, .required = true, .doc = "the uploaded incorporation document"), F_END};
static const struct field b_payout[] = {
    F_ARR("payout_ids", .items = FT_STRING, .doc = "PAY-… ids to pay (at most 1000); null or absent: every pending payout"),
    F_STR("reference", 0, 100, .doc = "without Stripe: the reference of the payment made outside"),
    F_END};
static const struct field b_topup[] = {
    F_FIXED("amount_cad", 6, 0, INT64_C(10000) * 1000000, .required = true, .min_excl = true,
            .doc = "whole cents, at most 10000"),
    F_STR("currency", 1, 8, .enums = currencies, .nocase = true, .doc = "cad (the only currency)"),
    F_END};

/* Accounts (api §8.15) and teams (§8.16). Lengths are in bytes (names: 100 characters of
 * UTF-8); the service checks the rules a schema cannot say (e-mail shape and normalisation,
 * password length in characters, control characters, the admin role) with the messages of the
 * spec, so a bad e-mail or a short password is its 400, not a 422. */
static const char *const user_roles[] = {"submitter", "provider", "admin", NULL};
static const char *const team_plans[] = {"free", "pro", "enterprise", NULL};
static const char *const team_roles[] = {"member", "admin", NULL};
#define EMAIL_FIELDS F_STR("email", 0, 1024, .required = true, .doc = "trimmed and lower-cased; ASCII; at most 254 characters")
#define PASSWORD_MAX 1024 /* bytes: 256 characters of UTF-8 (the service counts characters) */
static const struct field b_register[] = {
    EMAIL_FIELDS,
    F_STR("password", 0, PASSWORD_MAX, .required = true, .doc = "8..256 characters"),
    F_STR("name", 0, 400, .doc = "1..100 characters; the e-mail's local part when absent"),
    F_STR("role", 0, 16, .enums = user_roles, .doc = "submitter (default) or provider; admin is refused (403)"),
    F_STR("country", 0, 8, .doc = "two-letter code (CA when absent)"),
    F_STR("province", 0, 8, .doc = "one of the 13 codes when the country is CA (ON when absent)"),
    F_END};
static const struct field b_login[] = {
    EMAIL_FIELDS, F_STR("password", 0, PASSWORD_MAX, .required = true), F_END};
static const struct field b_me_patch[] = {
    F_STR("name", 0, 400),
    F_STR("role", 0, 16, .enums = user_roles, .doc = "submitter or provider; admin is refused (403)"),
    F_STR("country", 0, 8),
    F_STR("province", 0, 8),
    F_END};
static const struct field b_reset[] = {EMAIL_FIELDS, F_END};
static const struct field b_reset_confirm[] = {
    F_STR("token", 0, 128, .required = true), F_STR("new_password", 0, PASSWORD_MAX, .required = true), F_END};
static const struct field b_change_password[] = {
    F_STR("current_password", 0, PASSWORD_MAX, .required = true),
    F_STR("new_password", 0, PASSWORD_MAX, .required = true),
    F_END};
static const struct field q_key_name[] = {F_STR("name", 1, 256, .doc = "1..64 characters (default: default)"), F_END};
static const struct field b_key_name[] = {F_STR("name", 1, 256, .doc = "alternative to ?name"), F_END};
static const struct field b_device_token[] = {
    F_STR("device_code", 0, 128, .required = true),
    F_STR("grant_type", 0, 256, .doc = "urn:ietf:params:oauth:grant-type:device_code (the default)"),
    F_END};
static const struct field b_verify[] = {
    F_STR("user_code", 0, 32, .required = true, .doc = "XXXX-XXXX, case-insensitive, hyphen optional"), F_END};
static const struct field q_admin_users[] = {
    F_INT("limit", 1, 5000, .dflt = 100),
    F_INT("offset", 0, INT32_MAX, .dflt = 0),
    F_STR("role", 0, 16, .enums = user_roles),
    F_END};
static const struct field b_admin_user[] = {
    F_STR("role", 0, 16, .enums = user_roles), F_BOOL("disabled", .doc = "disabling revokes sessions and keys"), F_END};
static const struct field b_team[] = {
    F_STR("name", 1, 400, .required = true, .doc = "1..100 characters"),
    F_STR("plan", 0, 16, .enums = team_plans, .doc = "free (5 members, default), pro (25), enterprise (100)"),
    F_END};
static const struct field b_team_member[] = {
    EMAIL_FIELDS, F_STR("role", 0, 16, .enums = team_roles, .doc = "member (default) or admin"), F_END};

/* Transparency, legal requests, events and leases (api §7.3, §8.11). The enums are core's lists
 * (legal request types in core/trust.h, lease states in core/states.h). */
static const char *const legal_types[] = {
#define X(id, name) name,
    TRUST_LEGAL_TYPES(X)
#undef X
    NULL};
static const char *const lease_states[] = {
#define X(id, name) name,
    LEASESTATE_STATES(X)
#undef X
    NULL};
#define LEGAL_TEXT 2000 /* bytes */
static const struct field q_transparency[] = {
    F_INT("months", 1, 120, .dflt = 12, .doc = "window: months x 30 days back from now"), F_END};
static const struct field b_legal_request[] = {
    F_STR("request_type", 1, 32, .enums = legal_types, .doc = "subpoena when absent"),
    F_STR("jurisdiction", 1, LEGAL_TEXT, .doc = "the authority's jurisdiction (CA when absent); anything but CA or Canada is foreign"),
    F_STR("authority", 0, LEGAL_TEXT),
    F_STR("scope", 0, LEGAL_TEXT),
    F_STR("notes", 0, LEGAL_TEXT),
    F_END};
static const struct field b_legal_respond[] = {
    F_BOOL("complied", .doc = "false when absent"),
    F_BOOL("challenged", .doc = "false when absent"),
    F_STR("notes", 0, LEGAL_TEXT, .doc = "replaces the request's notes when not empty"),
    F_INT("disclosed_records", 0, INT32_MAX, .doc = "more than 0 records a disclosure to the request's jurisdiction"),
    F_STR("data_category", 0, LEGAL_TEXT),
    F_END};
static const struct field q_events[] = {
    F_INT("limit", 1, 1000, .dflt = 50),
    F_STR("event_type", 1, 128, .doc = "only events of this type"),
    F_TS("since", .doc = "epoch seconds: events at or after this instant"),
    F_END};
static const struct field q_leases[] = {
    F_STR("status", 1, 16, .enums = lease_states, .doc = "active when absent"),
    F_INT("limit", 1, 5000, .dflt = 1000),
    F_INT("offset", 0, INT32_MAX, .dflt = 0),
    F_END};
/* SLA (api §8.12, domain §26). A month is YYYY-MM (UTC), as core/sla parses it. */
static bool valid_month(const char *s)
{
    struct sla_month m;
    return sla_month_parse(s, &m) == 0;
}
static const struct field_pattern PAT_MONTH = {valid_month, "^[0-9]{4}-(0[1-9]|1[0-2])$",
                                               "must be a month YYYY-MM (01..12, year 1970..9999)"};
static const struct field b_sla_enforce[] = {
    F_STR("host_id", 1, 64, .required = true, .pattern = &PAT_HOST_ID, .doc = "unknown hosts are allowed"),
    F_STR("month", 1, 16, .required = true, .pattern = &PAT_MONTH),
    F_STR("tier", 1, 16, .enums = sla_tiers, .doc = "the host's sla_tier when absent or null (else community)"),
    F_FIXED("monthly_spend_cad", 6, 0, INT64_C(100000000) * 1000000,
            .doc = "Σ cost of billing records on the host completed in the month when absent or null"),
    F_END};
static const struct field q_sla_downtimes[] = {
    F_STR("host_id", 0, ANY_LENGTH),
    F_TS("since", .doc = "downtimes still open or ended at or after since"),
    F_BOOL("open_only", .dflt = 0),
    F_END};
static const struct field q_sla_violations[] = {F_TS("since", .doc = "epoch seconds (0 when absent)"), F_END};
static const struct field q_sla_host[] = {
    F_STR("month", 1, 16, .pattern = &PAT_MONTH, .doc = "the current month when absent"), F_END};

/* Route constructors: method, path, handler, permission mark, then named fields. The marks are
 * written as api §2.3 writes them: P, A, S, U, O(what), H(what) — what: JOB, HOST, CUSTOMER,
 * PROVIDER (the gate checks the owner when the path names it; else the handler, from the body).
 * PUBLIC(...) is P and not rate limited (the exempt system routes of api §3); ROUTE(m, p, h, P, ...)
 * is a public route that counts against the limit (the auth routes). */
#define P .auth = MARK_P
#define A .auth = MARK_A
#define S .auth = MARK_S
#define U .auth = MARK_U
#define O(what) .auth = MARK_O, .owns = OWNS_##what
#define H(what) .auth = MARK_H, .owns = OWNS_##what
#define PUBLIC(m, p, h, ...) {.method = (m), .pattern = (p), .handler = (h), .auth = MARK_P, .rate_exempt = true, __VA_ARGS__}
#define ROUTE(m, p, h, mark, ...) {.method = (m), .pattern = (p), .handler = (h), mark, __VA_ARGS__}

/* THE route table. Static segments beat parameters wherever both match (api §1). */
const struct route routes_table[] = {
    PUBLIC("GET", "/", h_root, .response = "Root", .summary = "Service name, status and version"),
    PUBLIC("GET", "/healthz", h_healthz, .response = "Health", .summary = "Liveness"),
    PUBLIC("GET", "/readyz", h_readyz, .response = "Ready", .summary = "Readiness (the store answers)"),
    PUBLIC("GET", "/metrics", h_metrics, .query = q_metrics, .response = "Metrics", .summary = "Prometheus metrics (or a JSON summary)"),
    PUBLIC("GET", "/dashboard", h_dashboard, .response = "Html", .summary = "The operator dashboard"),
    PUBLIC("GET", "/api/stream", h_stream, .response = "EventStream", .summary = "Server-sent events of the whole system"),
    PUBLIC("GET", "/openapi.json", h_openapi, .response = "OpenAPI", .summary = "This document"),
    PUBLIC("GET", "/docs", h_docs, .response = "Html", .summary = "The API reference, rendered"),
    PUBLIC("GET", "/docs/redoc.standalone.js", h_docs_asset, .response = "JavaScript", .summary = "The vendored viewer of /docs"),

    ROUTE("PUT", "/host", h_host_put, S, .body_limit = KB(64), .body = b_host_put, .response = "Host", .summary = "Register or update a host"),
    ROUTE("DELETE", "/host/{host_id}", h_host_delete, H(HOST), .response = "Ok", .summary = "Remove a host"),
    ROUTE("POST", "/host/{host_id}/agent-token", h_host_agent_token, O(HOST), .response = "AgentToken", .summary = "Issue the host's agent token"),
    ROUTE("GET", "/hosts", h_hosts_list, S, .query = q_hosts, .response = "HostList", .summary = "List hosts (keyset pages)"),
    ROUTE("GET", "/hosts/ca", h_hosts_ca, S, .response = "HostList", .summary = "Active Canadian hosts"),
    ROUTE("POST", "/hosts/check", h_hosts_check, A, .response = "HostsCheck", .summary = "Sweep hosts now"),
    ROUTE("POST", "/agent/versions", h_agent_versions, H(HOST), .body_limit = KB(64), .body = b_agent_versions, .response = "Admission", .summary = "Report component versions (admission)"),

    ROUTE("POST", "/job", h_job_submit, S, .body = b_job, .response = "Job", .summary = "Submit a job"),
    ROUTE("GET", "/jobs", h_jobs_list, S, .query = q_jobs, .response = "JobList", .summary = "List jobs"),
    ROUTE("GET", "/job/{job_id}", h_job_get, S, .response = "Job", .summary = "One job"),
    ROUTE("PATCH", "/job/{job_id}", h_job_patch, S, .body_limit = KB(64), .body = b_job_patch, .response = "Job", .summary = "Change a job's state"),
    ROUTE("PATCH", "/job/{job_id}/status", h_job_patch, S, .body_limit = KB(64), .body = b_job_patch, .response = "Job", .summary = "Change a job's state (alias)"),
    ROUTE("POST", "/job/{job_id}/requeue", h_job_requeue, O(JOB), .response = "Job", .summary = "Requeue a job"),
    ROUTE("GET", "/jobs/{job_id}/logs", h_job_logs, O(JOB), .query = q_job_logs, .response = "JobLogs", .summary = "A job's latest log lines"),
    ROUTE("GET", "/jobs/{job_id}/logs/stream", h_job_logs_stream, O(JOB), .response = "EventStream", .summary = "Follow a job's logs"),
    ROUTE("GET", "/tiers", h_tiers, S, .response = "Tiers", .summary = "Priority tiers"),

    ROUTE("POST", "/queue/process", h_queue_process, A, .response = "QueuePass", .summary = "Run a scheduler pass"),
    ROUTE("POST", "/queue/process/ca", h_queue_process_ca, A, .response = "QueuePass", .summary = "Run a Canada-only scheduler pass"),
    ROUTE("POST", "/failover", h_failover, A, .body_limit = KB(4), .body = b_failover, .response = "Failover", .summary = "Sweep lost hosts and requeue their work"),
    ROUTE("GET", "/canada", h_canada_get, S, .response = "CanadaOnly", .summary = "Canada-only mode"),
    ROUTE("PUT", "/canada", h_canada_put, A, .body_limit = KB(4), .body = b_canada, .response = "CanadaOnly", .summary = "Set Canada-only mode"),

    ROUTE("POST", "/autoscale/pool", h_pool_put, A, .body_limit = KB(16), .body = b_pool, .response = "Pool", .summary = "Add or update a pool host"),
    ROUTE("GET", "/autoscale/pool", h_pool_list, A, .response = "PoolList", .summary = "The autoscale pool"),
    ROUTE("DELETE", "/autoscale/pool/{host_id}", h_pool_delete, A, .response = "Ok", .summary = "Remove a pool host"),
    ROUTE("POST", "/autoscale/cycle", h_autoscale_cycle, A, .response = "Autoscale", .summary = "Scale up, place, scale down"),
    ROUTE("POST", "/autoscale/up", h_autoscale_up, A, .response = "Autoscale", .summary = "Scale up"),
    ROUTE("POST", "/autoscale/down", h_autoscale_down, A, .response = "Autoscale", .summary = "Scale down"),

    ROUTE("GET", "/agent/work/{host_id}", h_agent_work, H(HOST), .response = "AgentWork", .summary = "Work assigned to a host"),
    ROUTE("POST", "/agent/lease/claim", h_lease_claim, H(HOST), .body_limit = KB(4), .body = b_lease, .response = "Lease", .summary = "Claim a lease"),
    ROUTE("POST", "/agent/lease/renew", h_lease_renew, H(HOST), .body_limit = KB(4), .body = b_lease, .response = "Lease", .summary = "Renew a lease"),
    ROUTE("POST", "/agent/lease/release", h_lease_release, H(HOST), .body_limit = KB(4), .body = b_lease_release, .response = "Lease", .summary = "Release a lease with the outcome"),
    ROUTE("GET", "/agent/preempt/{host_id}", h_agent_preempt_list, H(HOST), .response = "PreemptList", .summary = "Pending stop requests of a host"),
    ROUTE("POST", "/agent/preempt/{host_id}/{job_id}", h_agent_preempt_request, A, .body_limit = KB(4), .body = b_preempt, .response = "StopRequest", .summary = "Ask a host to stop a job"),
    ROUTE("POST", "/agent/logs", h_agent_logs, H(HOST), .body = b_agent_logs, .response = "Ok", .summary = "Append job log lines"),
    ROUTE("POST", "/agent/telemetry", h_agent_telemetry, H(HOST), .body_limit = KB(64), .body = b_telemetry, .response = "Ok", .summary = "Report telemetry"),
    ROUTE("GET", "/agent/telemetry/{host_id}", h_agent_telemetry_get, S, .response = "Telemetry", .summary = "A host's latest telemetry"),
    ROUTE("GET", "/api/telemetry/all", h_telemetry_all, S, .response = "TelemetryAll", .summary = "Latest telemetry of every host"),
    ROUTE("POST", "/agent/mining-alert", h_mining_alert, H(HOST), .body_limit = KB(8), .body = b_mining, .response = "Ok", .summary = "Report a mining detection"),
    ROUTE("POST", "/agent/benchmark", h_agent_benchmark, H(HOST), .body_limit = KB(16), .body = b_benchmark, .response = "Benchmark", .summary = "Report a measured benchmark (the server computes XCU)"),
    ROUTE("POST", "/agent/verify", h_agent_verify, H(HOST), .body_limit = KB(32), .body = b_agent_verify, .response = "VerifyReport", .summary = "Submit a measured verification report"),
    ROUTE("GET", "/agent/popular-images", h_popular_images, S, .query = q_popular_images, .response = "PopularImages", .summary = "Images of the last 30 days' jobs, most used first (for pre-pulling)"),
    ROUTE("GET", "/agent/speedtest", h_speedtest, S, .query = q_speedtest, .response = "Bytes", .summary = "Zero bytes for the agent's throughput measurement"),
    ROUTE("GET", "/compute-scores", h_compute_scores, S, .response = "ComputeScores", .summary = "Benchmarked compute scores of registered hosts"),
    ROUTE("GET", "/compute-score/{host_id}", h_compute_score, S, .response = "ComputeScore", .summary = "A host's compute score (XCU)"),
    ROUTE("POST", "/api/verify/{host_id}", h_verify_force, A, .response = "HostVerification", .summary = "Request re-verification now"),
    ROUTE("GET", "/api/verify/{host_id}/status", h_verify_status, S, .response = "VerificationStatus", .summary = "A host's verification record"),
    ROUTE("POST", "/api/verify/{host_id}/approve", h_verify_approve, A, .body_limit = KB(8), .query = q_notes, .body = b_notes, .response = "VerificationStatus", .summary = "Admin approval (verified)"),
    ROUTE("POST", "/api/verify/{host_id}/reject", h_verify_reject, A, .body_limit = KB(8), .query = q_reason, .body = b_reason, .response = "VerificationStatus", .summary = "Admin rejection (deverified)"),
    ROUTE("GET", "/api/verified-hosts", h_verified_hosts, S, .query = q_verified_hosts, .response = "VerifiedHosts", .summary = "Hosts with a verification record"),
    ROUTE("GET", "/api/trust-tiers", h_trust_tiers, S, .response = "TrustTiers", .summary = "The four trust tiers and their requirements"),
    ROUTE("POST", "/api/jurisdiction/hosts", h_juris_hosts, S, .body_limit = KB(32), .body = b_juris_hosts, .response = "JurisdictionHosts", .summary = "Active hosts meeting a jurisdiction constraint (admins also see the rejected, with reasons)"),
    ROUTE("POST", "/api/queue/process-sovereign", h_queue_process_sovereign, A, .body_limit = KB(4), .body = b_sovereign_pass, .response = "SovereignPass", .summary = "Sovereign queue pass: extra constraint, verified hosts first, efficiency key, one job per host"),
    ROUTE("GET", "/api/jurisdiction/hosts/{host_id}", h_juris_get, S, .response = "HostJurisdiction", .summary = "A host's attested jurisdiction and trust tier"),
    ROUTE("PUT", "/api/jurisdiction/hosts/{host_id}", h_juris_put, A, .body_limit = KB(8), .body = b_jurisdiction, .response = "HostJurisdiction", .summary = "Attest a host's jurisdiction (admin only)"),
    ROUTE("GET", "/api/jurisdiction/residency-trace/{job_id}", h_residency_trace, O(JOB), .response = "ResidencyTrace", .summary = "Where a job ran, with the attested facts"),

    ROUTE("GET", "/api/audit/verify-chain", h_event_chain_verify, A, .response = "ChainVerify", .summary = "Verify the event hash chain"),
    ROUTE("GET", "/api/audit/job/{job_id}", h_audit_job, O(JOB), .response = "AuditTrail", .summary = "A job's events"),
    /* Transparency, legal requests, events and leases (api §7.3, §8.11). The events route is A in
     * api.md with one exception (owners read the events of their jobs): O(JOB) with the job named
     * by {entity_id}, checked by the handler; agents are refused by the gate. */
    ROUTE("GET", "/api/transparency/report", h_transparency_report, P, .query = q_transparency, .response = "TransparencyReport", .summary = "Public transparency report: legal requests, disclosures, CLOUD Act note"),
    ROUTE("POST", "/api/transparency/legal-request", h_legal_request, A, .body_limit = KB(16), .body = b_legal_request, .response = "LegalRequestId", .summary = "Record a legal request (event transparency.legal_request)"),
    ROUTE("POST", "/api/transparency/legal-request/{request_id}/respond", h_legal_respond, A, .body_limit = KB(16), .body = b_legal_respond, .response = "LegalResponse", .summary = "Respond to a legal request, once (event transparency.legal_response)"),
    ROUTE("GET", "/api/events/leases/{job_id}", h_events_lease, O(JOB), .response = "Lease", .summary = "A job's active lease"),
    ROUTE("GET", "/api/events/{entity_type}/{entity_id}", h_events_entity, O(JOB), .query = q_events, .response = "EntityEvents", .summary = "One entity's events, oldest first (users: jobs they own)"),
    ROUTE("GET", "/api/leases", h_leases_list, A, .query = q_leases, .response = "LeaseList", .summary = "Leases by status, newest grant first"),
    ROUTE("POST", "/api/test/clock", h_test_clock, A, .body_limit = KB(4), .body = b_test_clock, .response = "TestClock", .summary = "Advance the clock (test environment only)"),
    ROUTE("POST", "/api/test/sweep", h_test_sweep, A, .response = "Sweep", .summary = "Run the sweeper now (test environment only)"),
    /* Billing, marketplace and spot routes (api §7.2, §7.3, §8.3, §8.5, §8.6). */
    ROUTE("POST", "/billing/bill-all", h_bill_all, A, .response = "Bills", .summary = "Bill every finished job"),
    ROUTE("POST", "/billing/bill/{job_id}", h_bill_job, A, .response = "Bill", .summary = "Bill one job"),
    ROUTE("GET", "/billing", h_billing_list, S, .query = q_billing, .response = "BillList", .summary = "Billing records"),
    ROUTE("GET", "/billing/revenue", h_billing_revenue, A, .query = q_since_until, .response = "Revenue", .summary = "Revenue totals"),
    ROUTE("GET", "/api/billing/wallet/{customer_id}", h_wallet_get, O(CUSTOMER), .response = "Wallet", .summary = "A customer's wallet"),
    ROUTE("POST", "/api/billing/wallet/{customer_id}/deposit", h_wallet_deposit, A, .body_limit = KB(4), .body = b_deposit, .response = "Wallet", .summary = "Deposit credit"),
    ROUTE("GET", "/api/billing/wallet/{customer_id}/history", h_wallet_history, O(CUSTOMER), .query = q_wallet_history, .response = "WalletHistory", .summary = "Wallet transactions"),
    ROUTE("GET", "/api/billing/customers/{customer_id}", h_customer_get, O(CUSTOMER), .response = "Customer", .summary = "A customer's profile"),
    ROUTE("PUT", "/api/billing/customers/{customer_id}", h_customer_put, O(CUSTOMER), .body_limit = KB(4), .body = b_customer, .response = "Customer", .summary = "Set a customer's profile"),
    ROUTE("GET", "/api/billing/usage/{customer_id}", h_billing_usage, O(CUSTOMER), .query = q_period, .response = "Usage", .summary = "Usage over a period"),
    ROUTE("GET", "/api/billing/invoice/{customer_id}", h_invoice_preview, O(CUSTOMER), .query = q_invoice, .response = "Invoice", .summary = "Invoice preview"),
    ROUTE("GET", "/api/billing/invoices/{customer_id}", h_invoice_list, O(CUSTOMER), .query = q_invoices, .response = "InvoiceList", .summary = "Monthly invoices"),
    ROUTE("GET", "/api/billing/invoices/{customer_id}/{invoice_id}", h_invoice_get, O(CUSTOMER), .response = "Invoice", .summary = "One invoice"),
    ROUTE("POST", "/api/billing/refund", h_billing_refund, A, .body_limit = KB(4), .body = b_refund, .response = "Refund", .summary = "Refund a failed job"),
    ROUTE("GET", "/api/billing/export/caf/{customer_id}", h_caf_export, O(CUSTOMER), .query = q_caf, .response = "CafExport", .summary = "CAF export (JSON or CSV)"),
    ROUTE("GET", "/api/billing/attestation", h_attestation, S, .query = q_attestation, .response = "Attestation", .summary = "Signed residency attestation"),
    ROUTE("POST", "/api/billing/attestation/verify", h_attestation_verify, S, .body_limit = KB(16), .body = b_attestation_verify, .response = "AttestationValid", .summary = "Verify an attestation"),
    ROUTE("GET", "/api/pricing/reference", h_pricing_reference, S, .response = "PricingReference", .summary = "Reference prices"),
    ROUTE("POST", "/api/pricing/estimate", h_pricing_estimate, S, .body_limit = KB(4), .body = b_estimate, .response = "PricingEstimate", .summary = "Estimate a job's cost"),
    ROUTE("GET", "/api/pricing/reserved-plans", h_reserved_plans, S, .response = "ReservedPlans", .summary = "Reserved-plan discounts with sample hourly rates"),
    ROUTE("POST", "/api/pricing/reserve", h_pricing_reserve, O(CUSTOMER), .body_limit = KB(4), .body = b_reserve, .response = "Reservation", .summary = "Commit to a reserved plan (stored; SSE reservation_created)"),
    ROUTE("GET", "/api/billing/gst-threshold", h_gst_threshold, A, .response = "GstThreshold", .summary = "The platform's GST/HST small-supplier threshold over four UTC quarters"),
    ROUTE("GET", "/api/compliance/tax-rates", h_tax_rates, S, .query = q_tax_rates, .response = "TaxRates", .summary = "Sales tax of the 13 provinces and territories in force at ?at"),
    ROUTE("GET", "/api/compliance/provinces", h_compliance_provinces, S, .response = "ComplianceProvinces", .summary = "Provincial compliance matrix with the current tax"),
    ROUTE("GET", "/api/compliance/trust-tier-requirements", h_trust_tier_requirements, S, .response = "TrustTierRequirements", .summary = "What each trust tier requires, in tier order"),
    ROUTE("POST", "/api/compliance/quebec-pia-check", h_quebec_pia_check, S, .body_limit = KB(4), .body = b_pia, .response = "PiaCheck", .summary = "Whether Quebec Law 25 requires a privacy impact assessment"),
    ROUTE("GET", "/api/analytics/usage", h_analytics_usage, O(CUSTOMER), .query = q_analytics, .response = "UsageAnalytics", .summary = "Usage by day, ISO week, GPU model or province (users: their own)"),
    ROUTE("POST", "/marketplace/list", h_market_list, O(HOST), .body_limit = KB(4), .body = b_market_list, .response = "Listing", .summary = "List a host on the marketplace"),
    ROUTE("DELETE", "/marketplace/{host_id}", h_market_unlist, O(HOST), .response = "Unlisted", .summary = "Unlist a host"),
    ROUTE("GET", "/marketplace", h_market_browse, S, .query = q_market, .response = "Marketplace", .summary = "Browse listings"),
    ROUTE("GET", "/marketplace/search", h_market_search, S, .query = q_market_search, .response = "Marketplace", .summary = "Search listings"),
    ROUTE("GET", "/marketplace/stats", h_market_stats, S, .response = "MarketStats", .summary = "Marketplace totals"),
    ROUTE("POST", "/marketplace/bill/{job_id}", h_market_bill, A, .response = "Bill", .summary = "Bill a marketplace job"),
    ROUTE("GET", "/spot-prices", h_spot_prices, S, .query = q_spot, .response = "SpotPrices", .summary = "Spot prices (and history)"),
    ROUTE("POST", "/spot-prices/update", h_spot_update, A, .response = "SpotPrices", .summary = "Recompute spot prices"),
    ROUTE("POST", "/spot/job", h_spot_job, S, .body_limit = KB(64), .body = b_spot_job, .response = "Job", .summary = "Submit a spot job"),
    ROUTE("POST", "/spot/preemption-cycle", h_spot_cycle, A, .response = "SpotCycle", .summary = "Run the spot preemption cycle"),
    /* Accounts (api §8.15): the public auth routes count against the rate limit (api §3). */
    ROUTE("POST", "/api/auth/register", h_auth_register, P, .body_limit = KB(16), .body = b_register, .response = "AuthToken", .summary = "Create an account (submitter or provider) and a session"),
    ROUTE("POST", "/api/auth/login", h_auth_login, P, .body_limit = KB(16), .body = b_login, .response = "AuthToken", .summary = "Sign in (10 failures per e-mail in 15 min: 429)"),
    ROUTE("POST", "/api/auth/logout", h_auth_logout, U, .response = "Ok", .summary = "End the presented session"),
    ROUTE("POST", "/api/auth/refresh", h_auth_refresh, U, .response = "AuthToken", .unauthenticated = "Session expired or invalid", .summary = "Replace the presented session with a new one"),
    ROUTE("GET", "/api/auth/me", h_auth_me_get, U, .response = "User", .summary = "The signed-in user"),
    ROUTE("PATCH", "/api/auth/me", h_auth_me_patch, U, .body_limit = KB(8), .body = b_me_patch, .response = "User", .summary = "Update the profile"),
    ROUTE("DELETE", "/api/auth/me", h_auth_me_delete, U, .response = "Message", .summary = "Delete the account (every credential revoked)"),
    ROUTE("GET", "/api/auth/me/data-export", h_auth_data_export, U, .response = "DataExport", .summary = "Everything stored about the signed-in user"),
    ROUTE("POST", "/api/auth/password-reset", h_auth_reset_request, P, .body_limit = KB(8), .body = b_reset, .response = "Message", .summary = "Request a password reset"),
    ROUTE("POST", "/api/auth/password-reset/confirm", h_auth_reset_confirm, P, .body_limit = KB(16), .body = b_reset_confirm, .response = "Message", .summary = "Set a new password with a reset token"),
    ROUTE("POST", "/api/auth/change-password", h_auth_change_password, U, .body_limit = KB(16), .body = b_change_password, .response = "Message", .summary = "Change the password (other sessions revoked)"),
    ROUTE("POST", "/api/keys/generate", h_keys_generate, U, .body_limit = KB(4), .query = q_key_name, .body = b_key_name, .response = "ApiKey", .summary = "Create an API key (shown once)"),
    ROUTE("GET", "/api/keys", h_keys_list, U, .response = "ApiKeyList", .summary = "The caller's API keys (previews)"),
    ROUTE("DELETE", "/api/keys/{key_preview}", h_keys_revoke, U, .response = "Message", .summary = "Revoke an API key by its preview"),
    ROUTE("POST", "/api/auth/device", h_auth_device, P, .response = "DeviceCode", .summary = "Start the device flow (RFC 8628)"),
    ROUTE("POST", "/api/auth/token", h_auth_token, P, .body_limit = KB(4), .body = b_device_token, .response = "AuthToken", .summary = "Poll the device flow (428 pending, 410 expired, 404 unknown or used)"),
    ROUTE("POST", "/api/auth/verify", h_auth_verify, U, .body_limit = KB(4), .body = b_verify, .response = "Message", .summary = "Approve a device code as the signed-in user"),
    ROUTE("GET", "/api/auth/verify", h_auth_verify_page, P, .response = "Html", .summary = "The device verification page"),
    ROUTE("POST", "/api/auth/oauth/{provider}", h_auth_oauth, P, .response = "Ok", .summary = "OAuth sign-in (no provider is configured: 501)"),
    ROUTE("GET", "/api/admin/users", h_admin_users_list, A, .query = q_admin_users, .response = "UserList", .summary = "Users (paged, by role)"),
    ROUTE("PATCH", "/api/admin/users/{user_id}", h_admin_user_patch, A, .body_limit = KB(4), .body = b_admin_user, .response = "User", .summary = "Set a user's role or disable them"),
    /* Teams (api §8.16): membership rules are the service's (403/404 by role in the team). */
    ROUTE("POST", "/api/teams", h_team_create, U, .body_limit = KB(4), .body = b_team, .response = "Team", .summary = "Create a team (the creator is its owner)"),
    ROUTE("GET", "/api/teams/me", h_teams_mine, U, .response = "TeamList", .summary = "The caller's teams"),
    ROUTE("GET", "/api/teams/{team_id}", h_team_get, U, .response = "TeamDetail", .summary = "A team and its members (members only)"),
    ROUTE("POST", "/api/teams/{team_id}/members", h_team_member_add, U, .body_limit = KB(4), .body = b_team_member, .response = "Message", .summary = "Add a registered user (team admins)"),
    ROUTE("DELETE", "/api/teams/{team_id}/members/{email}", h_team_member_remove, U, .response = "Message", .summary = "Remove a member (oneself, or by a team admin)"),
    ROUTE("DELETE", "/api/teams/{team_id}", h_team_delete, U, .response = "Message", .summary = "Delete a team (owner only)"),
    /* Reputation (api §8.9, §7.3): scores computed at read time; reads never write. */
    ROUTE("GET", "/api/reputation/leaderboard", h_rep_leaderboard, S, .query = q_rep_leaderboard, .response = "ReputationLeaderboard", .summary = "Entities of one type by final score"),
    ROUTE("POST", "/api/reputation/verify", h_rep_verify, A, .body_limit = KB(4), .body = b_rep_verify, .response = "Reputation", .summary = "Grant a verification (each type counts once)"),
    ROUTE("GET", "/api/reputation/{entity_id}", h_rep_get, S, .query = q_rep_entity, .response = "Reputation", .summary = "An entity's score (a zero score when it has none)"),
    ROUTE("GET", "/api/reputation/{entity_id}/history", h_rep_history, S, .query = q_rep_history, .response = "ReputationHistory", .summary = "An entity's reputation events, newest first"),
    ROUTE("GET", "/api/reputation/{entity_id}/breakdown", h_rep_breakdown, S, .query = q_rep_entity, .response = "ReputationBreakdown", .summary = "How the score is made up"),
    ROUTE("POST", "/api/reputation/{entity_id}/penalty", h_rep_penalty, A, .body_limit = KB(4), .body = b_rep_penalty, .response = "Reputation", .summary = "Apply a penalty"),
    /* Providers and payouts (api §8.7); the webhook is public and authenticated by its
     * signature over the raw body (no JSON body declared: the bytes reach the handler as sent). */
    ROUTE("POST", "/api/billing/wallet/{customer_id}/topup", h_wallet_topup, O(CUSTOMER), .body_limit = KB(4), .body = b_topup, .response = "TopUp", .summary = "Start a card top-up (a Stripe PaymentIntent; 503 without Stripe)"),
    ROUTE("POST", "/api/providers/register", h_provider_register, U, .body_limit = KB(8), .body = b_provider_register, .response = "ProviderRegistration", .summary = "Create the caller's provider account and start payout onboarding"),
    ROUTE("GET", "/api/providers", h_providers_list, A, .query = q_providers, .response = "ProviderList", .summary = "Provider accounts, newest first"),
    ROUTE("GET", "/api/providers/{provider_id}", h_provider_get, O(PROVIDER), .response = "Provider", .summary = "A provider account"),
    ROUTE("POST", "/api/providers/{provider_id}/incorporation", h_provider_incorporation, O(PROVIDER), .body_limit = KB(4), .body = b_incorporation, .response = "Incorporation", .summary = "Submit the incorporation document for review"),
    ROUTE("POST", "/api/providers/{provider_id}/incorporation/approve", h_provider_incorporation_approve, A, .response = "Incorporation", .summary = "Approve a provider's incorporation document"),
    ROUTE("GET", "/api/providers/{provider_id}/earnings", h_provider_earnings, O(PROVIDER), .response = "Earnings", .summary = "A provider's totals and newest payouts"),
    ROUTE("POST", "/api/providers/{provider_id}/payout", h_provider_payout, A, .body_limit = KB(64), .body = b_payout, .response = "PayoutResult", .summary = "Pay pending payouts (once, even when called twice at once)"),
    ROUTE("GET", "/api/billing/gst-threshold/{provider_id}", h_provider_gst_threshold, O(PROVIDER), .response = "GstThresholdProvider", .summary = "A provider's payouts against the GST/HST small-supplier threshold"),
    /* SLA (api §8.12): /api/sla/{host_id} is matched after the static /api/sla/... routes (static
     * segments score higher). */
    ROUTE("POST", "/api/sla/enforce", h_sla_enforce, A, .body_limit = KB(4), .body = b_sla_enforce, .response = "SlaMonthly", .summary = "Enforce a host's SLA month: upsert its record and credit its customers once"),
    ROUTE("GET", "/api/sla/hosts-summary", h_sla_hosts_summary, S, .response = "SlaHostsSummary", .summary = "Every registered host with its tier, 30-day uptime and violations"),
    ROUTE("GET", "/api/sla/targets", h_sla_targets, S, .response = "SlaTargets", .summary = "The targets of the three SLA tiers"),
    ROUTE("GET", "/api/sla/downtimes", h_sla_downtimes, A, .query = q_sla_downtimes, .response = "SlaDowntimes", .summary = "Downtime intervals, newest first"),
    ROUTE("GET", "/api/sla/violations/{host_id}", h_sla_violations, S, .query = q_sla_violations, .response = "SlaViolations", .summary = "A host's telemetry violations (at most 100, newest first)"),
    ROUTE("GET", "/api/sla/{host_id}", h_sla_host, S, .query = q_sla_host, .response = "SlaHost", .summary = "A host's SLA tier, 30-day uptime and monthly record"),
    ROUTE("POST", "/api/providers/webhook", h_stripe_webhook, P, .body_limit = KB(256), .response = "WebhookResult", .summary = "Stripe events, verified by their Stripe-Signature header"),
};
#undef P
#undef A
#undef S
#undef U
#undef O
#undef H
const size_t routes_count = sizeof routes_table / sizeof routes_table[0];

const char *routes_owns_param(enum auth_owns k)
{
    switch (k) {
    case OWNS_JOB: return "job_id";
    case OWNS_HOST: return "host_id";
    case OWNS_CUSTOMER: return "customer_id";
    case OWNS_PROVIDER: return "provider_id";
    case OWNS_NONE: break;
    }
    return NULL;
}

int routes_check(char *err, size_t n)
{
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *rt = &routes_table[i];
        const char *why = NULL;
        if (rt->auth <= MARK_UNSET || rt->auth > MARK_H)
            why = "has no permission mark (P, A, S, U, O or H)";
        else if ((rt->auth == MARK_O || rt->auth == MARK_H) != (rt->owns != OWNS_NONE))
            why = "O and H marks (and only they) must name what they own";
        else if (!rt->handler || !rt->response)
            why = "has no handler or response shape";
        for (size_t k = 0; !why && k < i; k++)
            if (strcmp(rt->method, routes_table[k].method) == 0 && strcmp(rt->pattern, routes_table[k].pattern) == 0)
                why = "is declared twice";
        if (why) {
            snprintf(err, n, "route %s %s %s", rt->method ? rt->method : "?", rt->pattern ? rt->pattern : "?", why);
            return -1;
        }
    }
    return 0;
}

/* Matches path against pattern. Returns -1 on mismatch, else a specificity score (static
 * segments weigh more the earlier they are); fills params when out != NULL. */
static int match(const char *pattern, const char *path, char **params, int *nparams)
{
    int score = 0, np = 0, depth = 0;
    const char *p = pattern, *u = path;
    while (*p == '/' && *u == '/') {
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl > 0 && p[0] == '{') {
            if (ul == 0 || np >= REQ_MAX_PARAMS)
                goto fail;
            if (params)
                params[np] = xstrndup(u, ul); /* already percent-decoded by the HTTP layer */
            np++;
        } else {
            if (pl != ul || memcmp(p, u, pl) != 0)
                goto fail;
            score += 1 << (10 - (depth < 10 ? depth : 10));
        }
        depth++;
        p += pl;
        u += ul;
    }
    if (*p || *u)
        goto fail;
    if (nparams)
        *nparams = np;
    return score;
fail:
    if (params)
        for (int i = 0; i < np; i++) {
            free(params[i]);
            params[i] = NULL;
        }
    return -1;
}

const struct route *routes_match(const char *method, const char *path, char **params, int *nparams,
                                 bool *path_known, char *allow, size_t allow_n)
{
    /* A single trailing slash is ignored (/hosts/ == /hosts). */
    char norm[1024];
    snprintf(norm, sizeof norm, "%s", path);
    size_t n = strlen(norm);
    if (n > 1 && norm[n - 1] == '/')
        norm[n - 1] = '\0';

    const struct route *best = NULL;
    int best_score = -1;
    *path_known = false;
    size_t ao = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *rt = &routes_table[i];
        int sc = match(rt->pattern, norm, NULL, NULL);
        if (sc < 0)
            continue;
        if (strcmp(rt->method, method) == 0) {
            if (sc > best_score) {
                best = rt;
                best_score = sc;
            }
        } else if (!strstr(allow, rt->method)) {
            ao += (size_t)snprintf(allow + ao, ao < allow_n ? allow_n - ao : 0, "%s%s", ao ? ", " : "", rt->method);
        }
        *path_known = true;
    }
    if (best)
        match(best->pattern, norm, params, nparams);
    return best;
}
