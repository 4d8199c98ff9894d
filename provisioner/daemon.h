/* daemon.h: the provisioner daemon (`gpushim daemon`), one per user. */
#ifndef GS_PROV_DAEMON_H
#define GS_PROV_DAEMON_H

/* Runs the daemon in the foreground until it has been idle (no instance up, no client)
 * for GPUSHIM_DAEMON_LINGER seconds, or SHUTDOWN / SIGTERM. Exit status. */
int gs_daemon_main(void);

#endif
