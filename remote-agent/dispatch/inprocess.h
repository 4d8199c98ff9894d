/* inprocess.h - extras of the in-process link beyond link.h. */
#ifndef GS_INPROCESS_H
#define GS_INPROCESS_H

#include "link.h"

/* Counters of the most recently opened in-process session (0), or -1 when none is open.
 * Used by tests and by in-process `stats`. */
int gs_inprocess_counters(agent_counters *out);

#endif
