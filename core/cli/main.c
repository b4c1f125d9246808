#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "cmdb-build-config.h"
#include "state/cmdb-state-private.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* The subcommands, in the order `cmdbuilder --help` lists them. */
static const CmdbCliCommand commands[] = {
  { "build", "Print the command a page's form gives", cmdb_cli_build },
  { "check", "Report every problem in the schemas and configuration", cmdb_cli_check },
  { "compose", "Tell whether Hydra would compose a command's overrides", cmdb_cli_compose },
  { "plugins", "List the plugins and their state", cmdb_cli_plugins },
  { "options", "List the choices of an option source", cmdb_cli_options },
  { "serve", "Serve the web UI", cmdb_cli_serve },
  { "run", "Run a page's command, streaming its output", cmdb_cli_run },
  { "exec", "Run any command as a recorded run", cmdb_cli_exec },
  { "runs", "List the runs of the workspace", cmdb_cli_runs },
  { "logs", "Print (or follow) a run's output", cmdb_cli_logs },
  { "stop", "Stop a run", cmdb_cli_stop },
  { "supervise", "Watch one run (internal)", cmdb_cli_supervise, TRUE },
};

/* A state file this build leaves alone (newer or unreadable), said once
 * per process in the CLI's own voice. */
static void
print_state_warning (const char *message)
{
  fprintf (stderr, "cmdbuilder: warning: %s\n", message);
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "Usage: cmdbuilder COMMAND [OPTIONS]\n"
                   "\n"
                   "Compose, check and run the commands of a Hydra project.\n"
                   "\n"
                   "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (!commands[i].hidden)
      fprintf (stream, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (stream, "\n"
                   "Options:\n"
                   "  --version  Print the version and exit\n"
                   "  --help     Print this help and exit\n"
                   "\n"
                   "Run 'cmdbuilder COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  cmdb_state_set_reporter (print_state_warning);

  if (argc < 2)
    {
      print_usage (stderr);
      return 1;
    }
  if (g_str_equal (argv[1], "--version") || g_str_equal (argv[1], "version"))
    {
      printf ("cmdbuilder %s\n", CMDB_VERSION);
      return 0;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return 0;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, "cmdbuilder: unknown command '%s'\n\n", argv[1]);
  print_usage (stderr);
  return 1;
}
