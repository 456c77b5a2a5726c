#ifndef XC_CORE_ADMIT_H
#define XC_CORE_ADMIT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/errors.h"

/* Admission and version gating (domain §3, api §6.1 AdmissionDetails). Pure: the caller stores the
 * result and stamps checked_at. */

/* The four gated components, in reason order: enum suffix, component name used in reasons,
 * default minimum, text appended to the "below minimum" reason. */
#define ADMIT_COMPONENTS(X)                                                                        \
    X(RUNC, "runc", "1.1.14", " (CVE-2024-21626, CVE-2024-45310)")                                 \
    X(CTK, "NVIDIA Container Toolkit", "1.17.8", " (CVE-2025-23266)")                              \
    X(DRIVER, "NVIDIA driver", "535.0", "")                                                        \
    X(DOCKER, "Docker", "24.0.0", "")

enum admit_component {
#define X(id, name, min, note) ADMIT_##id,
    ADMIT_COMPONENTS(X)
#undef X
    ADMIT__COUNT
};

/* Component name as used in reasons ("NVIDIA Container Toolkit"), or NULL when out of range. */
const char *admit_component_name(enum admit_component c);

/* Minimum version text per component, indexed by enum admit_component. The strings are borrowed:
 * they must outlive every admit_evaluate call that uses them. Operators may lower them (the
 * server fills this from its configuration); a reason always names the configured minimum. */
struct admit_minimums {
    const char *min[ADMIT__COUNT];
};

/* runc 1.1.14, NVIDIA Container Toolkit 1.17.8, NVIDIA driver 535.0, Docker 24.0.0 (static strings). */
struct admit_minimums admit_default_minimums(void);

/* 0 when every minimum is present and parses as a version (§3.2), else XC_EINVAL. */
int admit_minimums_check(const struct admit_minimums *m);

/* Runtimes the agent can recommend (§3.4), with their wire names. */
#define ADMIT_RUNTIMES(X) X(RUNC, "runc") X(RUNSC, "runsc") X(KATA, "kata")
enum admit_runtime {
#define X(id, name) ADMIT_RT_##id,
    ADMIT_RUNTIMES(X)
#undef X
    ADMIT_RT__COUNT
};
const char *admit_runtime_name(enum admit_runtime rt);
/* The runtime named name ("runc", "runsc", "kata"), or XC_EINVAL. */
int admit_runtime_parse(const char *name, enum admit_runtime *out);
/* runsc and kata are sandboxed runtimes for isolation preference (§6). */
bool admit_runtime_sandboxed(enum admit_runtime rt);

struct admit_result {
    bool admitted;              /* no reasons */
    size_t nreasons;
    char **reasons;             /* owned: exact §3.1/§3.2 texts in component order */
    enum admit_runtime runtime; /* recommended_runtime */
    char *runtime_reason;       /* owned: exact §3.4 text */
};

/* Evaluates a version report. versions: a JSON object of component -> version string (NULL is
 * treated as {}); runtimes: NULL or a JSON array of runtime names available on the host;
 * gpu_model: the host's declared model (NULL = ""); min: NULL for the defaults.
 * On success fills *out (which the caller then owns and releases with admit_result_free) and
 * returns 0; returns XC_EINVAL (leaving *out empty) when versions is not an object or a minimum does
 * not parse. */
int admit_evaluate(const json_t *versions, const json_t *runtimes, const char *gpu_model,
                   const struct admit_minimums *min, struct admit_result *out);

/* Frees what admit_evaluate allocated and empties *r. Safe on an emptied result. */
void admit_result_free(struct admit_result *r);

/* §3.2 parse check: trim, one leading v/V dropped, cut at the first '-', '+', '~' or space, then
 * dot-separated parts of 1..9 decimal digits each. */
bool admit_version_valid(const char *v);

/* Compares two versions numerically part by part, missing trailing parts counting as 0. Stores
 * -1, 0 or 1 in *cmp and returns 0, or returns XC_EINVAL when either does not parse. */
int admit_version_cmp(const char *a, const char *b, int *cmp);

#endif
