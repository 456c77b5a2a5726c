/* Default lifecycle hooks before billing is wired: rates come from cost_per_hour and nothing is
 * held or settled. The billing module replaces this file. */
#include "server/billing_hooks.h"

int billing_effective_rate(const struct host *h, int64_t *rate, bool *listed)
{
    *rate = h->cost_per_hour;
    *listed = false;
    return 0;
}

int billing_on_assign(struct job *j, const struct host *h, int64_t now, bool *refused)
{
    (void)j;
    (void)h;
    (void)now;
    *refused = false;
    return 0;
}

int billing_on_attempt_end(const struct job *j, const char *final_status, int64_t now)
{
    (void)j;
    (void)final_status;
    (void)now;
    return 0;
}

int billing_on_release_unstarted(const struct job *j, int64_t now)
{
    (void)j;
    (void)now;
    return 0;
}

int billing_on_renew(const struct job *j, int64_t now)
{
    (void)j;
    (void)now;
    return 0;
}
