/* The allocator: queue order, host filters and scoring, and one placement pass (pure). */
#include "core/sched.h"

#include "common/errors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "common/fixed.h"

static const char *const reject_labels[SCHED_REJECT__COUNT] = {
#define X(id, label) label,
    SCHED_REJECTS(X)
#undef X
};

const char *sched_reject_label(enum sched_reject r)
{
    return (unsigned)r < SCHED_REJECT__COUNT ? reject_labels[r] : NULL;
}

/* ---- queue order (§5) ---- */

int sched_job_cmp(const struct sched_job *a, const struct sched_job *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->submitted_at_us != b->submitted_at_us)
        return a->submitted_at_us < b->submitted_at_us ? -1 : 1;
    return strcmp(a->job_id ? a->job_id : "", b->job_id ? b->job_id : "");
}

struct sort_ctx {
    const struct sched_job *jobs;
};

static int order_cmp(const void *pa, const void *pb, void *arg)
{
    const struct sort_ctx *ctx = arg;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = sched_job_cmp(&ctx->jobs[a], &ctx->jobs[b]);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

void sched_sort(const struct sched_job *jobs, size_t n, size_t *order)
{
    struct sort_ctx ctx = {jobs};
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, order_cmp, &ctx);
}

/* ---- filters and key (§6) ---- */

static int latency(const struct sched_host *h)
{
    return h->latency_ms < 0 ? 999 : h->latency_ms;
}

int sched_host_cmp(const struct sched_host *a, const struct sched_host *b, bool spot)
{
    if (a == b)
        return 0;
    if (a->free_mgb != b->free_mgb)
        return a->free_mgb > b->free_mgb ? 1 : -1;
    int la = latency(a), lb = latency(b);
    if (la != lb)
        return la < lb ? 1 : -1;
    int64_t ra = spot ? a->spot_price_ucad : a->rate_ucad;
    int64_t rb = spot ? b->spot_price_ucad : b->rate_ucad;
    if (ra != rb)
        return ra < rb ? 1 : -1;
    if (a->registered_at_us != b->registered_at_us)
        return a->registered_at_us < b->registered_at_us ? 1 : -1;
    int c = strcmp(a->host_id ? a->host_id : "", b->host_id ? b->host_id : "");
    if (c)
        return c < 0 ? 1 : -1;
    return a < b ? 1 : -1; /* duplicate ids: the earlier array slot wins, deterministically */
}

static bool trust_ok(uint32_t mask, int tier)
{
    if (tier <= 0)
        return true;
    if (tier >= 32)
        return false;
    return (mask >> tier) & 1u;
}

static bool on_avoid_list(const struct sched_host *h, const struct sched_job *job)
{
    for (int i = 0; i < job->navoid; i++)
        if (job->avoid[i] && h->host_id && strcmp(job->avoid[i], h->host_id) == 0)
            return true;
    return false;
}

/* The first filter h fails, or -1 when it is a candidate. */
static int first_fail(const struct sched_host *h, const struct sched_job *job,
                      const struct sched_opts *o, bool avoided)
{
    if (!h->admitted)
        return SCHED_REJECT_NOT_ADMITTED;
    if (!h->active)
        return SCHED_REJECT_NOT_ACTIVE;
    if (avoided)
        return SCHED_REJECT_AVOIDED;
    if (h->gpu_count < job->num_gpus)
        return SCHED_REJECT_FEW_GPUS;
    if (h->free_mgb < job->vram_mgb)
        return SCHED_REJECT_TOO_SMALL;
    if (o->canada_only && !h->canadian)
        return SCHED_REJECT_OUTSIDE_CANADA;
    if (!trust_ok(h->trust_ok_mask, job->trust_tier))
        return SCHED_REJECT_TRUST;
    if (job->spot && h->spot_price_ucad > job->max_bid_ucad)
        return SCHED_REJECT_OVER_BID;
    return -1;
}

/* Best and best-sandboxed tracking shared by the linear and indexed paths. */
struct choice {
    int best, best_sb;
};

static void consider(struct choice *ch, const struct sched_host *hosts, int h, bool spot)
{
    if (ch->best < 0 || sched_host_cmp(&hosts[h], &hosts[ch->best], spot) > 0)
        ch->best = h;
    if (hosts[h].sandboxed &&
        (ch->best_sb < 0 || sched_host_cmp(&hosts[h], &hosts[ch->best_sb], spot) > 0))
        ch->best_sb = h;
}

static int chosen(const struct choice *ch, const struct sched_job *job)
{
    if (job->isolation_preferred && ch->best_sb >= 0)
        return ch->best_sb;
    return ch->best;
}

static const struct sched_opts no_opts;

int sched_host_reject(const struct sched_host *h, const struct sched_job *job, const struct sched_opts *opts)
{
    return first_fail(h, job, opts ? opts : &no_opts, on_avoid_list(h, job));
}

int sched_best_host(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                    const struct sched_opts *opts)
{
    struct choice ch = {-1, -1};
    if (!opts)
        opts = &no_opts;
    for (size_t i = 0; i < n; i++)
        if (first_fail(&hosts[i], job, opts, on_avoid_list(&hosts[i], job)) < 0)
            consider(&ch, hosts, (int)i, job->spot);
    return chosen(&ch, job);
}

void sched_count(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                 const struct sched_opts *opts, struct sched_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!opts)
        opts = &no_opts;
    out->hosts = n;
    for (size_t i = 0; i < n; i++) {
        int f = first_fail(&hosts[i], job, opts, on_avoid_list(&hosts[i], job));
        if (f < 0)
            out->candidates++;
        else
            out->n[f]++;
    }
}

/* The caller owns the returned string. */
char *sched_reason_format(const struct sched_counts *c, const struct sched_job *job)
{
    if (c->hosts == 0)
        return xstrdup("no hosts registered");
    char vram[32], buf[1024];
    size_t o = 0;
    vram_fmt(job->vram_mgb, vram, sizeof vram);
    if (job->num_gpus > 1)
        o += (size_t)snprintf(buf, sizeof buf, "no admitted host with %d GPUs and %s GB free VRAM",
                              job->num_gpus, vram);
    else
        o += (size_t)snprintf(buf, sizeof buf, "no admitted host with %s GB free VRAM", vram);

    /* Kinds by descending count; a stable selection keeps filter order on ties. */
    bool used[SCHED_REJECT__COUNT] = {false};
    for (int item = 0; item < SCHED_REJECT__COUNT; item++) {
        int pick = -1;
        for (int k = 0; k < SCHED_REJECT__COUNT; k++)
            if (!used[k] && c->n[k] > 0 && (pick < 0 || c->n[k] > c->n[pick]))
                pick = k;
        if (pick < 0)
            break;
        used[pick] = true;
        const char *noun = item > 0 ? "" : c->n[pick] == 1 ? " host" : " hosts";
        if (o < sizeof buf)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%zu%s %s", item ? ", " : ": ",
                                  c->n[pick], noun, reject_labels[pick]);
    }
    return xstrdup(buf);
}

/* The caller owns the returned string. */
char *sched_pending_reason(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                           const struct sched_opts *opts)
{
    struct sched_counts c;
    sched_count(hosts, n, job, opts, &c);
    return sched_reason_format(&c, job);
}

/* ---- the index ----
 * Admitted, active hosts are grouped into classes by (gpu_count, canadian, sandboxed,
 * trust_ok_mask): every filter except the avoid list and VRAM is constant inside a class. Each
 * class is a treap ordered by the §6 key (ascending, so its best host is the rightmost node) with
 * subtree sizes, which also answers "how many have free >= v" for pending reasons. Classes are
 * sorted by gpu_count descending so a job stops at the first class with too few GPUs.
 * Spot jobs rank by spot price and filter on it, so a second set of classes, also split by spot
 * price (one per GPU model in practice), is ordered by the spot key; reservations update both. */

struct sched_class {
    int gpu_count;
    bool canadian, sandboxed;
    uint32_t mask;
    int64_t spot_price; /* constant inside a class of the spot set */
    int root;           /* treap root, -1 when empty */
    int best;           /* cached rightmost node */
    int size;
    int avoided, avoided_ge; /* scratch for sched_index_count */
};

struct tset {
    const struct sched_host *hosts;
    bool spot;
    int *lc, *rc, *sz, *cls;
    uint32_t *pri;
    struct sched_class *classes;
    int nclasses;
};

struct sched_index {
    struct sched_host *hosts;
    size_t n;
    struct sched_opts opts;
    struct tset od, sp; /* on-demand key, spot key */
    size_t not_admitted, not_active;
    /* host_id hash (chained) for avoid lists */
    int *bucket, *next;
    size_t nbuckets;
    uint32_t *mark, stamp;
};

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* <0 when host a sorts before host b inside a treap (i.e. a is worse). */
static int tcmp(const struct tset *t, int a, int b)
{
    return sched_host_cmp(&t->hosts[a], &t->hosts[b], t->spot);
}

static int tsz(const struct tset *t, int x)
{
    return x < 0 ? 0 : t->sz[x];
}

static void tupd(struct tset *t, int x)
{
    t->sz[x] = 1 + tsz(t, t->lc[x]) + tsz(t, t->rc[x]);
}

/* Splits treap x into nodes before node k (*l) and after it (*r); k is not in x. */
static void tsplit(struct tset *t, int x, int k, int *l, int *r)
{
    if (x < 0) {
        *l = *r = -1;
        return;
    }
    if (tcmp(t, x, k) < 0) {
        tsplit(t, t->rc[x], k, &t->rc[x], r);
        *l = x;
    } else {
        tsplit(t, t->lc[x], k, l, &t->lc[x]);
        *r = x;
    }
    tupd(t, x);
}

static int tmerge(struct tset *t, int l, int r)
{
    if (l < 0)
        return r;
    if (r < 0)
        return l;
    if (t->pri[l] > t->pri[r]) {
        t->rc[l] = tmerge(t, t->rc[l], r);
        tupd(t, l);
        return l;
    }
    t->lc[r] = tmerge(t, l, t->lc[r]);
    tupd(t, r);
    return r;
}

static int tinsert(struct tset *t, int x, int k)
{
    if (x < 0)
        return k;
    if (t->pri[k] > t->pri[x]) {
        tsplit(t, x, k, &t->lc[k], &t->rc[k]);
        tupd(t, k);
        return k;
    }
    if (tcmp(t, k, x) < 0)
        t->lc[x] = tinsert(t, t->lc[x], k);
    else
        t->rc[x] = tinsert(t, t->rc[x], k);
    tupd(t, x);
    return x;
}

/* Removes node k (present in x, with its key unchanged since insertion). */
static int terase(struct tset *t, int x, int k)
{
    if (x == k) {
        int m = tmerge(t, t->lc[x], t->rc[x]);
        t->lc[k] = t->rc[k] = -1;
        t->sz[k] = 1;
        return m;
    }
    if (tcmp(t, k, x) < 0)
        t->lc[x] = terase(t, t->lc[x], k);
    else
        t->rc[x] = terase(t, t->rc[x], k);
    tupd(t, x);
    return x;
}

static int tmax(const struct tset *t, int x)
{
    if (x < 0)
        return -1;
    while (t->rc[x] >= 0)
        x = t->rc[x];
    return x;
}

/* The node just before k in class c's order, or -1. */
static int tpred(const struct tset *t, int c, int k)
{
    int x = t->classes[c].root, best = -1;
    while (x >= 0) {
        if (tcmp(t, x, k) < 0) {
            best = x;
            x = t->rc[x];
        } else {
            x = t->lc[x];
        }
    }
    return best;
}

/* How many nodes of class c have free_mgb >= v. */
static int tcount_ge(const struct tset *t, int c, int64_t v)
{
    int x = t->classes[c].root, cnt = 0;
    while (x >= 0) {
        if (t->hosts[x].free_mgb >= v) {
            cnt += 1 + tsz(t, t->rc[x]);
            x = t->lc[x];
        } else {
            x = t->rc[x];
        }
    }
    return cnt;
}

static int class_key_cmp(const struct sched_host *a, const struct sched_host *b, bool spot)
{
    if (a->gpu_count != b->gpu_count)
        return a->gpu_count > b->gpu_count ? -1 : 1;
    if (a->canadian != b->canadian)
        return a->canadian ? -1 : 1;
    if (a->sandboxed != b->sandboxed)
        return a->sandboxed ? -1 : 1;
    if (a->trust_ok_mask != b->trust_ok_mask)
        return a->trust_ok_mask < b->trust_ok_mask ? -1 : 1;
    if (spot && a->spot_price_ucad != b->spot_price_ucad)
        return a->spot_price_ucad < b->spot_price_ucad ? -1 : 1;
    return 0;
}

struct class_sort {
    const struct sched_host *hosts;
    bool spot;
};

static int class_sort_cmp(const void *pa, const void *pb, void *arg)
{
    const struct class_sort *cs = arg;
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = class_key_cmp(&cs->hosts[a], &cs->hosts[b], cs->spot);
    return c ? c : (a > b) - (a < b);
}

/* Builds one set over the eligible hosts elig[0..ne) (reordered in place). */
static void tset_init(struct tset *t, const struct sched_host *hosts, size_t n, bool spot,
                      int *elig, size_t ne)
{
    size_t cap = n ? n : 1;
    struct class_sort cs = {hosts, spot};
    t->hosts = hosts;
    t->spot = spot;
    t->lc = xmalloc(cap * sizeof *t->lc);
    t->rc = xmalloc(cap * sizeof *t->rc);
    t->sz = xmalloc(cap * sizeof *t->sz);
    t->cls = xmalloc(cap * sizeof *t->cls);
    t->pri = xmalloc(cap * sizeof *t->pri);
    t->classes = xmalloc((ne ? ne : 1) * sizeof *t->classes);
    t->nclasses = 0;
    for (size_t i = 0; i < n; i++) {
        t->lc[i] = t->rc[i] = -1;
        t->sz[i] = 1;
        t->cls[i] = -1;
        t->pri[i] = (uint32_t)mix64(i);
    }
    qsort_r(elig, ne, sizeof *elig, class_sort_cmp, &cs);
    for (size_t k = 0; k < ne; k++) {
        int h = elig[k];
        if (k == 0 || class_key_cmp(&hosts[elig[k - 1]], &hosts[h], spot) != 0) {
            struct sched_class *c = &t->classes[t->nclasses++];
            memset(c, 0, sizeof *c);
            c->gpu_count = hosts[h].gpu_count;
            c->canadian = hosts[h].canadian;
            c->sandboxed = hosts[h].sandboxed;
            c->mask = hosts[h].trust_ok_mask;
            c->spot_price = hosts[h].spot_price_ucad;
            c->root = c->best = -1;
        }
        struct sched_class *c = &t->classes[t->nclasses - 1];
        t->cls[h] = t->nclasses - 1;
        c->root = tinsert(t, c->root, h);
        c->size++;
    }
    for (int c = 0; c < t->nclasses; c++)
        t->classes[c].best = tmax(t, t->classes[c].root);
}

static void tset_free(struct tset *t)
{
    free(t->classes);
    free(t->pri);
    free(t->cls);
    free(t->sz);
    free(t->rc);
    free(t->lc);
}

/* The caller owns the index (free with sched_index_free); hosts stay the caller's. */
struct sched_index *sched_index_new(struct sched_host *hosts, size_t n,
                                    const struct sched_opts *opts)
{
    struct sched_index *ix = xcalloc(1, sizeof *ix);
    size_t cap = n ? n : 1, ne = 0;
    int *elig = xmalloc(cap * sizeof *elig);
    ix->hosts = hosts;
    ix->n = n;
    ix->opts = opts ? *opts : no_opts;
    ix->mark = xcalloc(cap, sizeof *ix->mark);
    ix->next = xmalloc(cap * sizeof *ix->next);
    ix->nbuckets = 16;
    while (ix->nbuckets < 2 * n)
        ix->nbuckets *= 2;
    ix->bucket = xmalloc(ix->nbuckets * sizeof *ix->bucket);
    for (size_t b = 0; b < ix->nbuckets; b++)
        ix->bucket[b] = -1;
    for (size_t k = n; k-- > 0;) {
        /* Chained in reverse so that a lookup meets hosts in array order. */
        size_t b = hash_str(hosts[k].host_id) & (ix->nbuckets - 1);
        ix->next[k] = ix->bucket[b];
        ix->bucket[b] = (int)k;
    }
    for (size_t i = 0; i < n; i++) {
        if (!hosts[i].admitted)
            ix->not_admitted++;
        else if (!hosts[i].active)
            ix->not_active++;
        else
            elig[ne++] = (int)i;
    }
    tset_init(&ix->od, hosts, n, false, elig, ne);
    tset_init(&ix->sp, hosts, n, true, elig, ne);
    free(elig);
    return ix;
}

void sched_index_free(struct sched_index *ix)
{
    if (!ix)
        return;
    tset_free(&ix->sp);
    tset_free(&ix->od);
    free(ix->bucket);
    free(ix->next);
    free(ix->mark);
    free(ix);
}

static void new_stamp(struct sched_index *ix)
{
    if (++ix->stamp == 0) {
        memset(ix->mark, 0, (ix->n ? ix->n : 1) * sizeof *ix->mark);
        ix->stamp = 1;
    }
}

static bool marked(const struct sched_index *ix, int h)
{
    return ix->mark[h] == ix->stamp;
}

/* Marks the job's avoided hosts with a fresh stamp; calls fn for each eligible one, once. */
static void mark_avoided(struct sched_index *ix, const struct sched_job *job,
                         void (*fn)(struct sched_index *, int, void *), void *arg)
{
    new_stamp(ix);
    for (int i = 0; i < job->navoid; i++) {
        const char *id = job->avoid[i];
        if (!id)
            continue;
        for (int h = ix->bucket[hash_str(id) & (ix->nbuckets - 1)]; h >= 0; h = ix->next[h]) {
            if (marked(ix, h) || !ix->hosts[h].host_id || strcmp(ix->hosts[h].host_id, id) != 0)
                continue;
            ix->mark[h] = ix->stamp;
            if (fn)
                fn(ix, h, arg);
        }
    }
}

/* The set a job is ranked in: the spot set for spot jobs. */
static const struct tset *set_for(const struct sched_index *ix, const struct sched_job *job)
{
    return job->spot ? &ix->sp : &ix->od;
}

int sched_index_pick(struct sched_index *ix, const struct sched_job *job)
{
    struct choice ch = {-1, -1};
    const struct tset *t = set_for(ix, job);
    mark_avoided(ix, job, NULL, NULL);
    for (int c = 0; c < t->nclasses; c++) {
        const struct sched_class *cl = &t->classes[c];
        if (cl->gpu_count < job->num_gpus)
            break;
        if ((ix->opts.canada_only && !cl->canadian) || !trust_ok(cl->mask, job->trust_tier) ||
            (job->spot && cl->spot_price > job->max_bid_ucad))
            continue;
        int h = cl->best;
        while (h >= 0 && marked(ix, h))
            h = tpred(t, c, h);
        if (h < 0 || ix->hosts[h].free_mgb < job->vram_mgb)
            continue;
        consider(&ch, ix->hosts, h, job->spot);
    }
    return chosen(&ch, job);
}

static void tset_remove(struct tset *t, int h)
{
    int c = t->cls[h];
    if (c >= 0)
        t->classes[c].root = terase(t, t->classes[c].root, h);
}

static void tset_add(struct tset *t, int h)
{
    int c = t->cls[h];
    if (c >= 0) {
        struct sched_class *cl = &t->classes[c];
        cl->root = tinsert(t, cl->root, h);
        cl->best = tmax(t, cl->root);
    }
}

int sched_index_reserve(struct sched_index *ix, int h, int64_t vram_mgb)
{
    if (h < 0 || (size_t)h >= ix->n || vram_mgb < 0)
        return XC_EINVAL;
    if (vram_mgb > ix->hosts[h].free_mgb)
        return XC_ECONFLICT;
    tset_remove(&ix->od, h);
    tset_remove(&ix->sp, h);
    ix->hosts[h].free_mgb -= vram_mgb;
    tset_add(&ix->od, h);
    tset_add(&ix->sp, h);
    return 0;
}

struct count_arg {
    struct tset *t;
    int64_t vram;
    struct sched_counts *out;
};

static void count_avoided(struct sched_index *ix, int h, void *arg)
{
    struct count_arg *ca = arg;
    int c = ca->t->cls[h];
    if (c < 0)
        return; /* not admitted or not active: counted under filter 1 */
    ca->out->n[SCHED_REJECT_AVOIDED]++;
    ca->t->classes[c].avoided++;
    if (ix->hosts[h].free_mgb >= ca->vram)
        ca->t->classes[c].avoided_ge++;
}

void sched_index_count(struct sched_index *ix, const struct sched_job *job,
                       struct sched_counts *out)
{
    struct tset *t = job->spot ? &ix->sp : &ix->od;
    struct count_arg ca = {t, job->vram_mgb, out};
    memset(out, 0, sizeof *out);
    out->hosts = ix->n;
    out->n[SCHED_REJECT_NOT_ADMITTED] = ix->not_admitted;
    out->n[SCHED_REJECT_NOT_ACTIVE] = ix->not_active;
    mark_avoided(ix, job, count_avoided, &ca);
    for (int c = 0; c < t->nclasses; c++) {
        struct sched_class *cl = &t->classes[c];
        size_t size = (size_t)(cl->size - cl->avoided);
        if (cl->gpu_count < job->num_gpus) {
            out->n[SCHED_REJECT_FEW_GPUS] += size;
        } else {
            int ge_all = (cl->best >= 0 && ix->hosts[cl->best].free_mgb >= job->vram_mgb)
                             ? tcount_ge(t, c, job->vram_mgb)
                             : 0;
            size_t ge = (size_t)(ge_all - cl->avoided_ge);
            out->n[SCHED_REJECT_TOO_SMALL] += size - ge;
            if (ix->opts.canada_only && !cl->canadian)
                out->n[SCHED_REJECT_OUTSIDE_CANADA] += ge;
            else if (!trust_ok(cl->mask, job->trust_tier))
                out->n[SCHED_REJECT_TRUST] += ge;
            else if (job->spot && cl->spot_price > job->max_bid_ucad)
                out->n[SCHED_REJECT_OVER_BID] += ge;
            else
                out->candidates += ge;
        }
        cl->avoided = cl->avoided_ge = 0;
    }
}

/* The caller owns the returned string. */
char *sched_index_reason(struct sched_index *ix, const struct sched_job *job)
{
    struct sched_counts c;
    sched_index_count(ix, job, &c);
    return sched_reason_format(&c, job);
}

/* The host an aged job would fit on once it drains: passes every filter when its free VRAM is
 * taken as its total, is not reserved already, and is the best such host by the §6 key. */
static int drain_target(const struct sched_host *hosts, size_t n, const struct sched_job *job,
                        const struct sched_opts *o, const bool *reserved)
{
    struct choice ch = {-1, -1};
    for (size_t i = 0; i < n; i++) {
        if (reserved[i] || hosts[i].total_mgb < job->vram_mgb)
            continue;
        struct sched_host h = hosts[i];
        h.free_mgb = h.total_mgb;
        if (first_fail(&h, job, o, on_avoid_list(&h, job)) < 0)
            consider(&ch, hosts, (int)i, job->spot);
    }
    return chosen(&ch, job);
}

int sched_pass(struct sched_host *hosts, size_t nhosts, const struct sched_job *jobs, size_t njobs,
               const struct sched_opts *opts, int *placement, char **reasons, size_t *nplaced)
{
    int rc = 0;
    size_t placed = 0;
    size_t *order = NULL;
    struct sched_index *ix = NULL;
    bool *reserved = NULL;
    int64_t *held = NULL;
    if ((!hosts && nhosts) || (!jobs && njobs) || (!placement && njobs)) {
        rc = XC_EINVAL;
        goto out;
    }
    if (!opts)
        opts = &no_opts;
    order = xmalloc((njobs ? njobs : 1) * sizeof *order);
    reserved = xcalloc(nhosts ? nhosts : 1, sizeof *reserved);
    held = xcalloc(nhosts ? nhosts : 1, sizeof *held);
    sched_sort(jobs, njobs, order);
    ix = sched_index_new(hosts, nhosts, opts);
    size_t limit = (opts->max_jobs && opts->max_jobs < njobs) ? opts->max_jobs : njobs, nreserved = 0;
    for (size_t j = 0; j < njobs; j++) {
        placement[j] = -1;
        if (reasons)
            reasons[j] = NULL;
    }
    for (size_t k = 0; k < limit; k++) {
        size_t j = order[k];
        const struct sched_job *job = &jobs[j];
        int h = sched_index_pick(ix, job);
        if (h >= 0) {
            rc = sched_index_reserve(ix, h, job->vram_mgb > 0 ? job->vram_mgb : 0);
            if (rc < 0)
                goto out;
            placement[j] = h;
            placed++;
            continue;
        }
        int d = -1;
        if (opts->reserve_after_us > 0 && nreserved < nhosts &&
            opts->now_us - job->submitted_at_us >= opts->reserve_after_us &&
            (d = drain_target(hosts, nhosts, job, opts, reserved)) >= 0) {
            /* Take the host's remaining free VRAM out of this pass; given back below. */
            reserved[d] = true;
            nreserved++;
            held[d] = hosts[d].free_mgb;
            if ((rc = sched_index_reserve(ix, d, held[d])) < 0)
                goto out;
        }
        if (reasons && d >= 0)
            reasons[j] = xasprintf("waiting for host %s to free %lld.%lld GB (reserved for this job: it has "
                                   "waited longest)",
                                   hosts[d].host_id ? hosts[d].host_id : "?", (long long)(job->vram_mgb / 1000),
                                   (long long)(job->vram_mgb % 1000 / 100));
        else if (reasons)
            reasons[j] = sched_index_reason(ix, job);
    }
out:
    for (size_t i = 0; held && i < nhosts; i++)
        hosts[i].free_mgb += held[i];
    sched_index_free(ix);
    free(held);
    free(reserved);
    free(order);
    if (nplaced)
        *nplaced = placed;
    return rc;
}
