#define G_LOG_DOMAIN "cmdb-cli"

/* The subcommands, the exit status table and the daily workflow: the one
 * source `cmdbuilder --help`, the man page (cmdbuilder __man, run at build
 * time) and shell completion (cmdbuilder __complete) are made from. */

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* In the order `cmdbuilder --help` lists them. */
static const CmdbCliCommand commands[] = {
  { "build", "Print the command a page's form gives", cmdb_cli_build },
  { "keys", "List a page's keys: type, default, choices, rules, override", cmdb_cli_keys },
  { "check", "Report every problem in the schemas and configuration", cmdb_cli_check },
  { "compose", "Tell whether Hydra would compose a command's overrides", cmdb_cli_compose },
  { "presets", "List the presets of a page (or of every page)", cmdb_cli_presets },
  { "preset", "Save or delete a page's preset", cmdb_cli_preset },
  { "plugins", "List the plugins and their state", cmdb_cli_plugins },
  { "options", "List the choices of an option source", cmdb_cli_options },
  { "new-plugin", "Write a working page, registry or executor plugin to start from",
    cmdb_cli_new_plugin },
  { "serve", "Serve the web UI", cmdb_cli_serve },
  { "url", "Print the URL of the workspace's running web UI", cmdb_cli_url },
  { "run", "Run a page's command, streaming its output", cmdb_cli_run },
  { "exec", "Run any command as a recorded run", cmdb_cli_exec },
  { "rerun", "Run a run's exact command again", cmdb_cli_rerun },
  { "runs", "List the runs of the workspace", cmdb_cli_runs },
  { "logs", "Print (or follow) a run's output", cmdb_cli_logs },
  { "stop", "Stop a run, or a whole sweep", cmdb_cli_stop },
  { "sweeps", "List the sweeps of the workspace", cmdb_cli_sweeps },
  { "sweep", "Compare a sweep's members (status, values, metrics)", cmdb_cli_sweep },
  { "supervise", "Watch one run (internal)", cmdb_cli_supervise, TRUE },
  { "sweep-supervise", "Hold one sweep's queue (internal)", cmdb_cli_sweep_supervise, TRUE },
  { "__complete", "Print completion candidates (shell scripts)", cmdb_cli_complete, TRUE },
  { "__man", "Print the man page (build time)", cmdb_cli_man, TRUE },
};

static const CmdbCliExitStatus exit_statuses[] = {
  { "0", "Success: the command was printed, the check found no errors, the run succeeded." },
  { "1", "A usage or configuration error: an unknown command, option, page, source or run, a "
         "workspace that cannot be opened or has no config tree, a schema with errors." },
  { "2", "A negative verdict: the form is invalid (an unknown key or use case, a value out of "
         "range, a required key missing), the command would not compose or names no runner, "
         "check found errors." },
  { "N",
    "cmdbuilder run, exec and rerun (in the foreground) exit with the command's own exit status, "
    "130 when interrupted with Ctrl-C (the run is stopped)." },
};

/* The daily workflow, command then comment. */
static const char *const examples[] = {
  "cd examples/ocr-workspace",
  "a workspace: pyproject.toml (or .git) and configs/",
  "cmdbuilder keys train",
  "what the Train page takes",
  "cmdbuilder build train --set encoder=resnet34",
  "print the command",
  "cmdbuilder check",
  "every problem in the schemas and configuration",
  "cmdbuilder run train --set max_epochs=2 --detach",
  "start it; prints the run id",
  "cmdbuilder runs",
  "what ran, what runs",
  "cmdbuilder logs last --follow",
  "follow the newest run",
  "cmdbuilder stop last",
  "stop it",
  NULL,
};

const CmdbCliCommand *
cmdb_cli_get_commands (guint *ret_n_commands)
{
  *ret_n_commands = G_N_ELEMENTS (commands);
  return commands;
}

const CmdbCliCommand *
cmdb_cli_lookup_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

const CmdbCliExitStatus *
cmdb_cli_get_exit_statuses (guint *ret_n_statuses)
{
  *ret_n_statuses = G_N_ELEMENTS (exit_statuses);
  return exit_statuses;
}

const char *const *
cmdb_cli_get_examples (void)
{
  return examples;
}

GPtrArray *
cmdb_cli_list_command_names (void)
{
  GPtrArray *names = g_ptr_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (!commands[i].hidden)
      g_ptr_array_add (names, (gpointer) commands[i].name);
  return names;
}

/* Prints @text wrapped at 79 columns, continuation lines indented by @indent. */
static void
print_wrapped (FILE *stream, const char *first, const char *text, int indent)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  int column = fprintf (stream, "%s", first);

  for (guint i = 0; words[i] != NULL; i++)
    {
      int length = (int) strlen (words[i]);

      if (i > 0 && column + 1 + length > 79)
        column = fprintf (stream, "\n%*s", indent, "") - 1;
      else if (i > 0)
        column += fprintf (stream, " ");
      column += fprintf (stream, "%s", words[i]);
    }
  fprintf (stream, "\n");
}

void
cmdb_cli_print_usage (FILE *stream)
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
                   "Every command takes --workspace DIR, --schemas DIR, --config GROUP.KEY=VALUE,\n"
                   "--quiet and --color=WHEN. Run 'cmdbuilder COMMAND --help' for its options,\n"
                   "'cmdbuilder build PAGE --help' for a page's keys, 'man cmdbuilder' for more.\n"
                   "\n"
                   "Daily workflow:\n");
  for (guint i = 0; examples[i] != NULL; i += 2)
    fprintf (stream, "  %-48s # %s\n", examples[i], examples[i + 1]);
  fprintf (stream, "\nExit status:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (exit_statuses); i++)
    {
      g_autofree char *first = g_strdup_printf ("  %s  ", exit_statuses[i].status);

      print_wrapped (stream, first, exit_statuses[i].meaning, 5);
    }
}
