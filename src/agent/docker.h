#ifndef XC_AGENT_DOCKER_H
#define XC_AGENT_DOCKER_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pure parts (unit-tested) ---- */

/* Image reference check of domain §4.1 (≤ 255 chars). */
bool docker_valid_image(const char *image);
/* Environment object check (≤ 64 entries, key pattern, string values ≤ 4096 bytes, no NUL). */
int docker_validate_env(json_t *env, char *err, size_t errlen);
/* Command array check (≤ 64 strings, each ≤ 4096 bytes, no NUL). NULL/empty is valid. */
int docker_validate_command(json_t *cmd, char *err, size_t errlen);

struct docker_job_spec {
    const char *job_id, *host_id;
    int attempt;
    const char *image;
    json_t *command;          /* array of strings, or NULL */
    json_t *env;              /* object of strings, or NULL */
    const char *user;         /* "uid:gid", non-root */
    int64_t memory_bytes;
    int pids_limit;
    const char *runtime;      /* "runsc", "kata-runtime", or NULL for the engine default (runc) */
    const char *network_mode; /* "none" or "ns:<netns path>" */
    const int *gpu_ids;
    int ngpu;
    bool gpu_devices;         /* request GPUs from the engine (real GPUs only) */
    const char *nfs_source;   /* host path of a read-only NFS mount, or NULL */
    int stop_timeout;
    int tmpfs_tmp_mb, tmpfs_workspace_mb;
};

/* The container name for a job attempt ("xcelsior-<job_id>-<attempt>"). */
void docker_container_name(const char *job_id, int attempt, char *out, size_t n);
/* Builds the POST /containers/create body with the hardened HostConfig (CapDrop ALL,
 * no-new-privileges, read-only rootfs, tmpfs, non-root user, memory = swap limit, pids limit,
 * no host bind mounts other than the read-only NFS share). Validates image, env and command.
 * Returns 0 and *out (caller owns), or -1 with err. */
int docker_build_create_body(const struct docker_job_spec *s, json_t **out, char *err, size_t errlen);

/* Demultiplexer for the Engine's log stream (8-byte frame headers: stream, 0, 0, 0, size BE32).
 * Emits complete lines (without "\n" or a trailing "\r") through cb; lines longer than
 * max_line are cut at max_line and the rest of that line is dropped. */
typedef void (*docker_line_cb)(void *ud, int stream, const char *line, size_t len);
struct docker_demux {
    unsigned char hdr[8];
    size_t hdr_len;
    uint32_t remaining;
    int stream;
    struct {
        char *buf;
        size_t len;
        bool cut;
    } line[3];
    size_t max_line;
    docker_line_cb cb;
    void *ud;
};
void docker_demux_init(struct docker_demux *d, size_t max_line, docker_line_cb cb, void *ud);
void docker_demux_feed(struct docker_demux *d, const char *data, size_t n);
/* Emits any unterminated lines and frees the buffers. */
void docker_demux_finish(struct docker_demux *d);

/* Classifies an image pull failure (domain §17.4 step 5) into a job failure reason. */
void docker_pull_failure_reason(const char *message, char *out, size_t n);

/* ---- Engine API client over the unix socket ---- */

struct docker; /* one per thread */
struct docker *docker_new(const char *socket_path);
void docker_free(struct docker *d);

/* One request. Returns 0 with *status and the body (caller frees *resp; may be NULL) or -1 on
 * a transport failure with a message in err. */
int docker_request(struct docker *d, const char *method, const char *path, json_t *body, long timeout_ms,
                   long *status, char **resp, size_t *resp_len, char *err, size_t errlen);
/* The engine's error message from a response body ("message" field), or the body itself. */
void docker_error_text(const char *body, char *out, size_t n);

int docker_ping(struct docker *d);
/* GET /version, raw JSON text (caller frees). */
char *docker_version_json(struct docker *d);
/* Runtime names the engine offers (GET /info .Runtimes) whose binary exists when the engine
 * names a path. Returns a JSON array of strings (caller owns), or NULL. */
json_t *docker_runtimes(struct docker *d);
/* 1 present, 0 absent, -1 error. */
int docker_image_present(struct docker *d, const char *image);
/* Pulls image; returns 0 or -1 with a failure reason (image_error/network_error) in reason. */
int docker_pull(struct docker *d, const char *image, long timeout_ms, char *reason, size_t n);
/* Creates; returns 0 and the id. On failure -1 with the engine's message in err and *status. */
int docker_create(struct docker *d, const char *name, json_t *body, char *id, size_t idlen, long *status,
                  char *err, size_t errlen);
int docker_start(struct docker *d, const char *id, char *err, size_t errlen);
/* Sends a signal ("SIGTERM", "SIGKILL"); a container that is not running is not an error. */
int docker_kill(struct docker *d, const char *id, const char *signal);
int docker_remove(struct docker *d, const char *id);
/* Blocks until the container stops; returns its exit status or -1. */
int docker_wait(struct docker *d, const char *id, long timeout_ms);
struct docker_state {
    char status[32]; /* created, running, exited, ... ; "" when the container is gone */
    int exit_code;
    bool oom_killed;
    int pid;
};
/* 0 ok, 1 container does not exist, -1 error. */
int docker_inspect(struct docker *d, const char *id, struct docker_state *st);
/* Follows the logs (stdout+stderr) until the stream ends or tick returns non-zero. tick runs
 * about once a second. Returns 0 when the stream ended normally. */
int docker_follow_logs(struct docker *d, const char *id, struct docker_demux *dm, int (*tick)(void *), void *ud);
/* Ids of containers labelled xcelsior.host_id=<host_id> (all states), as a JSON array of
 * {"id","job_id","attempt","state"}. */
json_t *docker_list_job_containers(struct docker *d, const char *host_id);

#endif
