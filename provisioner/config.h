/* config.h: configuration lookup. A key such as "vast_api_key" is read from the
 * environment as GPUSHIM_VAST_API_KEY first, then from the config file
 * ($XDG_CONFIG_HOME/gpushim/config: lines "key = value", '#' comments). */
#ifndef GS_PROV_CONFIG_H
#define GS_PROV_CONFIG_H

/* Value for key, or def when unset. The returned string lives until the next reload. */
const char *gs_cfg(const char *key, const char *def);
double gs_cfg_num(const char *key, double def);
/* Reads the config file again (the daemon calls it once at start). Returns 0, or -1 when
 * the file holds an API key but is readable by others (the keys are then ignored). */
int gs_cfg_load(void);
/* The agent's --idle-shutdown: idle grace + watchdog_margin (default 300 s). The agent
 * exits after that long with no session and no heartbeat from the daemon. */
int gs_watchdog_seconds(void);
/* The agent command: agent_cmd when set, else the gpushim-agent installed beside this
 * gpushim (or, in a build tree, ../remote-agent/agent/gpushim-agent), else
 * "gpushim-agent" from PATH. */
const char *gs_agent_cmd(void);
/* Whether the key names a secret (never printed): "*key*", "*secret*", "*token*". */
int gs_cfg_is_secret(const char *key);

#endif
