#ifndef XC_HANDLERS_H
#define XC_HANDLERS_H
#include "server/http/http.h"

/* api_system.c */
void h_root(struct req *r);
void h_healthz(struct req *r);
void h_readyz(struct req *r);
void h_metrics(struct req *r);
void h_dashboard(struct req *r);
void h_stream(struct req *r);
void h_test_clock(struct req *r);
void h_test_sweep(struct req *r);
void h_tiers(struct req *r);
void h_event_chain_verify(struct req *r);
void h_audit_job(struct req *r);

/* api_hosts.c */
void h_host_put(struct req *r);
void h_host_delete(struct req *r);
void h_hosts_list(struct req *r);
void h_hosts_ca(struct req *r);
void h_hosts_check(struct req *r);
void h_agent_versions(struct req *r);
void h_host_agent_token(struct req *r);

/* api_jobs.c */
void h_job_submit(struct req *r);
void h_jobs_list(struct req *r);
void h_job_get(struct req *r);
void h_job_patch(struct req *r);
void h_job_requeue(struct req *r);
void h_job_logs(struct req *r);
void h_job_logs_stream(struct req *r);

/* api_queue.c */
void h_queue_process(struct req *r);
void h_queue_process_ca(struct req *r);
void h_failover(struct req *r);
void h_canada_get(struct req *r);
void h_canada_put(struct req *r);
void h_pool_put(struct req *r);
void h_pool_delete(struct req *r);
void h_pool_list(struct req *r);
void h_autoscale_cycle(struct req *r);
void h_autoscale_up(struct req *r);
void h_autoscale_down(struct req *r);

/* api_agent.c */
void h_agent_work(struct req *r);
void h_lease_claim(struct req *r);
void h_lease_renew(struct req *r);
void h_lease_release(struct req *r);
void h_agent_preempt_list(struct req *r);
void h_agent_preempt_request(struct req *r);
void h_agent_logs(struct req *r);
void h_agent_telemetry(struct req *r);
void h_agent_telemetry_get(struct req *r);
/* api_agent_assets.c */
void h_popular_images(struct req *r);
void h_speedtest(struct req *r);
void h_telemetry_all(struct req *r);
void h_mining_alert(struct req *r);

#endif
