/* The server's process-wide context (configuration, store, clock offset). */
#include "server/app.h"

#include "common/clock.h"

struct app *g_app;

int64_t app_now(void)
{
    return clock_wall_us() + atomic_load(&g_app->clock_offset_us);
}
