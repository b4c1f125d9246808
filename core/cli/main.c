#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "cmdb-build-config.h"
#include "state/cmdb-state-private.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* A state file this build leaves alone (newer or unreadable), said once
 * per process in the CLI's own voice. */
static void
print_state_warning (const char *message)
{
  fprintf (stderr, "cmdbuilder: warning: %s\n", message);
}

int
main (int argc, char **argv)
{
  const CmdbCliCommand *command;

  setlocale (LC_ALL, "");
  cmdb_state_set_reporter (print_state_warning);

  if (argc < 2)
    {
      cmdb_cli_print_usage (stderr);
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
      cmdb_cli_print_usage (stdout);
      return 0;
    }
  command = cmdb_cli_lookup_command (argv[1]);
  if (command != NULL)
    {
      /* "Usage: cmdbuilder build [OPTION…] PAGE" in the subcommand's --help. */
      g_autofree char *prgname = g_strconcat ("cmdbuilder ", command->name, NULL);

      g_set_prgname (prgname);
      return command->run (argc - 1, argv + 1);
    }

  {
    g_autoptr (GPtrArray) names = cmdb_cli_list_command_names ();
    g_autofree char *message = cmdb_cli_unknown_name_message ("command", argv[1], names);

    cmdb_cli_error ("%s", message);
    fprintf (stderr, "Run 'cmdbuilder --help' for the commands.\n");
  }
  return 1;
}
