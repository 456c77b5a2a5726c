#ifndef XC_CORE_VERIFY_H
#define XC_CORE_VERIFY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/errors.h"
#include "common/units.h"
#include "core/admit.h"

/* Host verification (domain §18, api §6.9): the seven checks against what the agent measured,
 * the GPU fingerprint, the state machine, the re-verification schedule and the failure threshold.
 * Pure: time (int64 µs, UTC) is passed in; the caller loads the host record and the stored
 * verification, calls verify_evaluate, and stores what comes back.
 *
 * Measured decimals are integers in thousandths ("_e3": 15.0 GB/s -> 15000, 0.1 % -> 100) as
 * fixed_from_double(v, 3) gives them; VERIFY_MISSING marks a field the report left out. */

#define VERIFY_MISSING INT64_MIN /* a measured field absent from the report */
#define VERIFY_NO_TIME INT64_MIN /* a null timestamp */

/* §18.1 thresholds. */
#define VERIFY_MIN_PCIE_GBPS_E3 INT64_C(8000)       /* >= 8.0 GB/s */
#define VERIFY_MAX_TEMP_C_E3 INT64_C(90000)         /* <= 90 °C */
#define VERIFY_MIN_VRAM_PCT 95                      /* report / registered × 100 >= 95.0 */
#define VERIFY_MIN_CC_MAJOR 7                       /* compute capability >= 7.0 */
#define VERIFY_MIN_CC_MINOR 0
#define VERIFY_MAX_LOSS_PCT_E3 INT64_C(2000)        /* <= 2.0 % */
#define VERIFY_MAX_JITTER_MS_E3 INT64_C(50000)      /* <= 50.0 ms */
#define VERIFY_MIN_THROUGHPUT_MBPS_E3 INT64_C(100000) /* >= 100.0 Mbps */
#define VERIFY_MAX_FRAG_PCT_E3 INT64_C(50000)       /* < 50.0 % */
#define VERIFY_FAILURE_WINDOW_US (INT64_C(3600) * SEC)
#define VERIFY_FAILURE_THRESHOLD 3
#define VERIFY_INTERVAL_US (INT64_C(86400) * SEC)   /* re-verification interval (and overdue grace) */
#define VERIFY_COOLDOWN_US (INT64_C(1800) * SEC)

/* The seven checks, in evaluation (and reporting) order. */
#define VERIFY_CHECKS(X)                                                                           \
    X(GPU_IDENTITY, "gpu_identity")                                                                \
    X(CUDA_READINESS, "cuda_readiness")                                                            \
    X(PCIE_BANDWIDTH, "pcie_bandwidth")                                                            \
    X(THERMAL_STABILITY, "thermal_stability")                                                      \
    X(NETWORK_QUALITY, "network_quality")                                                          \
    X(MEMORY_FRAGMENTATION, "memory_fragmentation")                                                \
    X(SECURITY_POSTURE, "security_posture")

enum verify_check_id {
#define X(id, name) VERIFY_CHECK_##id,
    VERIFY_CHECKS(X)
#undef X
    VERIFY_CHECK__COUNT
};

/* Verification states (HostVerification.state and the host's verification_state). A host with
 * no record is unverified. verified and verifying count as verified for scheduling. */
#define VERIFY_STATES(X)                                                                           \
    X(UNVERIFIED, "unverified")                                                                    \
    X(VERIFYING, "verifying")                                                                      \
    X(VERIFIED, "verified")                                                                        \
    X(DEVERIFIED, "deverified")

enum verify_state {
#define X(id, name) VERIFY_##id,
    VERIFY_STATES(X)
#undef X
    VERIFY__COUNT
};

/* What moves a verification from one state to another. */
#define VERIFY_EVENTS(X)                                                                           \
    X(REPORT_PASSED, "report_passed")         /* an evaluation: 7/7 and no drift */                \
    X(REPORT_FAILED, "report_failed")         /* an evaluation: a check failed or drift */         \
    X(REVERIFY_DUE, "reverify_due")           /* next_check_at reached, or admin forces it */      \
    X(REVERIFY_OVERDUE, "reverify_overdue")   /* verifying and no report for a further 86 400 s */ \
    X(FAILURE_THRESHOLD, "failure_threshold") /* >= 3 host-fault failures in 3600 s */             \
    X(HOST_CHANGED, "host_changed")           /* registered model/VRAM/GPU count/location changed */ \
    X(ADMIN_APPROVE, "admin_approve")                                                              \
    X(ADMIN_REJECT, "admin_reject")

enum verify_event {
#define X(id, name) VERIFY_EV_##id,
    VERIFY_EVENTS(X)
#undef X
    VERIFY_EV__COUNT
};

/* Wire names, or NULL when out of range. */
const char *verify_check_name(enum verify_check_id c);
const char *verify_state_name(enum verify_state s);
const char *verify_event_name(enum verify_event e);
/* Parses an exact state name; 0 or XC_EINVAL (NULL included). */
int verify_state_parse(const char *name, enum verify_state *out);
/* verified or verifying: counts as verified for scheduling, classification and constraints. */
bool verify_state_counts_verified(enum verify_state s);

/* The state after `ev` from `from`: REPORT_PASSED/ADMIN_APPROVE -> verified; REPORT_FAILED/
 * ADMIN_REJECT -> deverified; HOST_CHANGED -> unverified (from any state); REVERIFY_DUE:
 * verified -> verifying, other states unchanged (an admin force only raises reverify_due);
 * REVERIFY_OVERDUE: verifying -> deverified; FAILURE_THRESHOLD: verified/verifying -> deverified.
 * Returns 0 and sets *to, XC_ECONFLICT when the event does not apply to `from` (nothing changes),
 * XC_EINVAL when out of range. */
int verify_transition(enum verify_state from, enum verify_event ev, enum verify_state *to);

/* ---- fingerprint (§18.3) ---- */

/* gpu_fingerprint: the first 16 hex chars of SHA-256 of "<ident(model)>|<MiB>|<serial>", MiB =
 * RHU(vram_mgb × 1024, 1000), serial NULL = "". ("RTX 4090", 24 000, "GPU-SN-4090-001") ->
 * "673faa842221ce47". out receives 16 chars + NUL. Returns 0, or XC_EINVAL for a negative VRAM. */
int verify_fingerprint(const char *gpu_model, int64_t vram_mgb, const char *serial, char out[17]);

/* ---- the seven checks (§18.2) ---- */

/* Registered values, from the server's host record (never from the report). */
struct verify_registered {
    const char *gpu_model;   /* NULL = "" */
    int64_t total_vram_mgb;  /* milli-GB */
};

/* What the agent measured (§17.10). Strings NULL = missing; numbers VERIFY_MISSING = missing. */
struct verify_report {
    const char *gpu_model;
    int64_t total_vram_mgb;          /* milli-GB; missing -> 0 */
    const char *serial;
    const char *driver_version;
    const char *cuda_version;
    const char *compute_capability;  /* "maj.min" */
    int64_t pcie_gbps_e3;            /* missing -> 0 */
    int64_t temp_c_e3;               /* gpu_temp_celsius (max); missing fails the check */
    int64_t packet_loss_pct_e3;      /* missing -> 100 % */
    int64_t jitter_ms_e3;            /* missing -> 999 ms */
    int64_t throughput_mbps_e3;      /* missing -> 0 */
    int64_t fragmentation_pct_e3;    /* memory_fragmentation_pct; missing -> 0 */
    int64_t torch_allocated_bytes;   /* missing or 0 with reserved missing or 0: check skipped */
    int64_t torch_reserved_bytes;
    const json_t *versions;          /* the report's versions object; NULL = missing (fails) */
};

/* One Check object (api §6.9). Strings are owned by the verify_outcome that holds them. */
struct verify_check {
    enum verify_check_id id;
    bool passed;
    char *expected;
    char *actual;
    char *details;
};

/* Runs one check. trusted_serial: the serial recorded by a previous successful verification
 * (NULL or "" = none). min: admission minimums for security_posture (NULL = defaults). Fills *out
 * (free with verify_check_free). Texts:
 *   gpu_identity: expected "<host model> / <vram>GB", actual "<report model> / <vram>GB" (VRAM in
 *     GB, trailing zeros trimmed, at least one decimal: "24.0", "23.99"), details
 *     "Model match: <true|false>, VRAM: <pct, 2 decimals>%" (pct 0 when the host total is 0);
 *     a serial that differs from trusted_serial fails the check with the same details.
 *   cuda_readiness: expected "CUDA and driver present, compute capability >= 7.0", actual
 *     "CUDA <v>, driver <v>, compute capability <cc>", details "" or the first failure
 *     ("CUDA version missing", "driver version missing", "compute capability unparseable",
 *     "compute capability below 7.0").
 *   pcie_bandwidth: expected ">= 8.0 GB/s", actual "<x> GB/s", details "".
 *   thermal_stability: expected "<= 90.0 C", actual "<t> C", details ""; missing: actual
 *     "not measured", details "not measured", failed.
 *   network_quality: expected "loss <= 2.0%, jitter <= 50.0ms, throughput >= 100.0Mbps", actual
 *     "loss <l>%, jitter <j>ms, throughput <t>Mbps", details "".
 *   memory_fragmentation: expected "< 50.0%", actual "<f>%"; both torch counters 0/missing:
 *     actual "not measured", details "check skipped", passed.
 *   security_posture: expected "versions pass admission", actual "admitted" or "not admitted",
 *     details "" or the admission reasons joined by "; " ("no versions reported" for a missing
 *     or non-object versions; an empty object fails on its missing components). */
int verify_run_check(enum verify_check_id id, const struct verify_registered *reg,
                     const struct verify_report *rep, const char *trusted_serial,
                     const struct admit_minimums *min, struct verify_check *out);
void verify_check_free(struct verify_check *c);

/* overall_score in hundredths: RHU(passed × 10 000, 7) (7 -> 10000, 6 -> 8571, 3 -> 4286). */
int64_t verify_score_e2(int passed);

/* ---- evaluation of a report (§18.3) ---- */

/* The stored verification record, as far as the rules need it (borrowed). */
struct verify_prior {
    bool exists;                /* false: no record yet (state reads as unverified) */
    enum verify_state state;
    const char *fingerprint;    /* stored gpu_fingerprint; NULL/"" = none */
    const char *serial;         /* stored serial */
    int64_t verified_at_us;     /* VERIFY_NO_TIME = null */
    int64_t deverified_at_us;   /* VERIFY_NO_TIME = null */
    int64_t cooldown_until_us;  /* VERIFY_NO_TIME = null */
};

/* What to store after a report. When evaluated is false (a deverified record in its cool-down:
 * now < cooldown_until), nothing else is filled: store nothing and answer the stored record.
 * Otherwise every field is the new value of the record (failure_count, verification_id and the
 * history row are the caller's: failure_count is kept, a history row is appended). */
struct verify_outcome {
    bool evaluated;
    struct verify_check checks[VERIFY_CHECK__COUNT];
    int passed;                 /* checks passed, 0..7 */
    int64_t score_e2;           /* overall_score in hundredths */
    char fingerprint[17];       /* the new fingerprint (from the report's model, VRAM, serial) */
    bool drift;                 /* a stored fingerprint existed and differs */
    enum verify_state state;    /* verified or deverified */
    bool state_changed;         /* differs from the prior state (unverified when no record):
                                   emit host.verified / host.deverified */
    char *deverify_reason;      /* owned: "" when verified; "Failed checks: a, b" [+ " + GPU
                                   fingerprint drift"], or "GPU fingerprint drift" alone */
    int64_t last_check_at_us;   /* now */
    int64_t next_check_at_us;   /* now + 86 400 s */
    bool reverify_due;          /* false */
    int64_t verified_at_us;     /* now when verified, else the prior value */
    int64_t deverified_at_us;   /* now when deverified, else VERIFY_NO_TIME */
    int64_t cooldown_until_us;  /* now + 1800 s when deverified, else VERIFY_NO_TIME */
};

/* Evaluates a report against the registered values and the stored record at now_us. The serial
 * recorded by a previous successful verification is prior->serial when the prior state is
 * verified or verifying. prior NULL = no record. Fills *out (free with verify_outcome_free);
 * returns 0, or XC_EINVAL for NULL reg/rep/out. */
int verify_evaluate(const struct verify_registered *reg, const struct verify_report *rep,
                    const struct verify_prior *prior, const struct admit_minimums *min,
                    int64_t now_us, struct verify_outcome *out);
/* Frees the strings of an outcome and empties it. Safe on an emptied outcome. */
void verify_outcome_free(struct verify_outcome *o);

/* ---- re-verification schedule (§18.4) ---- */

#define VERIFY_DUES(X)                                                                             \
    X(NONE, "none")       /* nothing to do */                                                      \
    X(MARK, "mark")       /* verified and next_check_at <= now: reverify_due, state verifying */   \
    X(OVERDUE, "overdue") /* verifying and now >= next_check_at + 86 400 s: deverified */

enum verify_due {
#define X(id, name) VERIFY_DUE_##id,
    VERIFY_DUES(X)
#undef X
    VERIFY_DUE__COUNT
};
const char *verify_due_name(enum verify_due d);

/* What the periodic sweep does to one record at now_us. */
enum verify_due verify_schedule(enum verify_state s, int64_t next_check_at_us, int64_t now_us);

/* Reason of an overdue de-verification. */
#define VERIFY_REASON_OVERDUE "Re-verification overdue"

/* ---- failure threshold (§18.5) ---- */

/* Number of host-fault failures with failed_at >= now − 3600 s. failed_at may be NULL when n == 0. */
int verify_failures_in_window(const int64_t *failed_at_us, size_t n, int64_t now_us);
/* True when a record in state s is de-verified by `count` recent failures: s verified/verifying and
 * count >= 3. */
bool verify_failure_trips(enum verify_state s, int count);
/* "Exceeded failure threshold: <n> failures in 3600s window". The caller owns it. */
char *verify_failure_reason(int count);

/* ---- admin override (§18.6) ---- */

/* History reason of an approval: "Admin approved: <notes>" (NULL notes = ""). Owned by the caller. */
char *verify_admin_approve_note(const char *notes);
/* deverify_reason of a rejection: "Admin: <reason>" (NULL = ""). Owned by the caller. */
char *verify_admin_reject_reason(const char *reason);

#endif
