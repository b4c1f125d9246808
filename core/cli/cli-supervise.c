#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "run/cmdb-run-private.h"

#include <stdio.h>
#include <stdlib.h>

/* `cmdbuilder supervise [--ready-fd N] RUN_DIR`: the watcher of one local
 * run, started by the local executor (never by people: hidden from --help).
 * docs/runs.md describes what it does. */
int
cmdb_cli_supervise (int argc, char **argv)
{
  int ready_fd = -1;
  const GOptionEntry entries[] = { { "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd,
                                     "Descriptor to report on once the command started", "FD" },
                                   { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("RUN_DIR - watch one run (internal)");

  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      fprintf (stderr, "cmdbuilder supervise: expected one RUN_DIR\n");
      return 1;
    }
  return cmdb_run_supervise (argv[1], ready_fd);
}
