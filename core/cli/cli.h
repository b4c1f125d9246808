/* cli.h: the cmdbuilder executable's subcommands.
 *
 * Each subcommand lives in its own cli-<name>.c and has the signature of
 * CmdbCliRun: it parses its own options with GOptionContext (so --help works
 * per subcommand) and returns the process exit status:
 *   0 success, 1 configuration/schema/usage error, 2 validation errors.
 */
#pragma once

#include <stdio.h>

#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"
#include "session/cmdb-page-session-private.h"

G_BEGIN_DECLS

typedef int (*CmdbCliRun) (int argc, char **argv);

typedef struct
{
  const char *name;
  const char *summary;
  CmdbCliRun run;
  gboolean hidden; /* internal (supervise): left out of --help */
} CmdbCliCommand;

/* Everything a subcommand needs about one workspace: created from the
 * common --workspace / --schemas options and the configuration layers. */
typedef struct
{
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
  CmdbHost *host;
} CmdbCliSession;

/* Options every subcommand accepts; add them with cmdb_cli_add_common_options(). */
typedef struct
{
  char *workspace;
  char **schemas;           /* --schemas DIR, repeatable */
  char **config_overrides; /* --config GROUP.KEY=VALUE, repeatable */
} CmdbCliCommonOptions;

void cmdb_cli_add_common_options (GOptionContext *option_context, CmdbCliCommonOptions *options,
                                  gboolean with_schemas);
void cmdb_cli_common_options_clear (CmdbCliCommonOptions *options);
/* (transfer full): opens the workspace; on failure prints the error and
 * returns NULL. */
CmdbCliSession *cmdb_cli_session_open (CmdbCliCommonOptions *options, GError **error);
void cmdb_cli_session_free (CmdbCliSession *session);
/* Parses the subcommand's options; on failure prints the error and the
 * usage hint to stderr and returns FALSE. */
gboolean cmdb_cli_parse (GOptionContext *option_context, int *argc, char ***argv);
/* Prints each problem as "path:line:col: severity: message" to stderr. */
void cmdb_cli_print_problems (GPtrArray *problems);
/* Prints @node as JSON (pretty) followed by a newline to stdout. */
void cmdb_cli_print_json (JsonNode *node);
/* (transfer none): @text (nullable: "-") as a human-readable line may show
 * it: control characters, terminal escapes and bidirectional overrides
 * written as visible escapes (\e, \r, \u{202E}), so a name from disk
 * cannot rewrite the terminal or disguise itself. Piped or not. The copy
 * lives until the program exits. */
const char *cmdb_cli_safe (const char *text);

/* What `build` and `run` take from the command line to compose a command. */
typedef struct
{
  char **sets;             /* (nullable) KEY=VALUE strings of --set */
  const char *use_case_id; /* (nullable) --use-case */
  int suffix;              /* -1: the page's default and [command] suffix; 0 or 1: forced */
} CmdbCliPageCommandFlags;

/* Activates @page_id and composes its command. Prints the schema's and
 * the form's problems, warnings and errors to stderr. Returns (transfer
 * full) the command, with @ret_status 0, or 2 when the form has errors (the
 * command is then returned for display only); or NULL with @error and
 * @ret_status 2 for bad --set / --use-case input, 1 for page, schema or
 * workspace problems. @ret_state (nullable) receives the evaluated form. */
CmdbCommand *cmdb_cli_build_page_command (CmdbCliSession *session, const char *page_id,
                                          const CmdbCliPageCommandFlags *flags,
                                          CmdbFormState **ret_state, int *ret_status,
                                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCliSession, cmdb_cli_session_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CmdbCliCommonOptions, cmdb_cli_common_options_clear)

/* The subcommands. */
int cmdb_cli_plugins (int argc, char **argv);
int cmdb_cli_options (int argc, char **argv);
int cmdb_cli_serve (int argc, char **argv);
int cmdb_cli_build (int argc, char **argv);
int cmdb_cli_check (int argc, char **argv);
int cmdb_cli_compose (int argc, char **argv);
/* Prints a composition verdict for a person (cli-compose.c). */
void cmdb_cli_print_compose_result (CmdbComposeResult *result, const char *config_name,
                                    FILE *stream);
/* Runs (cli-run.c, cli-runs.c, cli-supervise.c). */
int cmdb_cli_run (int argc, char **argv);
int cmdb_cli_exec (int argc, char **argv);
int cmdb_cli_runs (int argc, char **argv);
int cmdb_cli_logs (int argc, char **argv);
int cmdb_cli_stop (int argc, char **argv);
int cmdb_cli_supervise (int argc, char **argv);
/* Copies @run's logs from their start, stdout to stdout and stderr to
 * stderr; with @follow, until the run ends. When *@interrupted becomes
 * non-zero (a signal handler), the run is asked to stop, once. Returns
 * (transfer full) the run as last loaded, or NULL with @error. */
CmdbRun *cmdb_cli_follow_run (CmdbRunStore *store, CmdbRun *run, gboolean want_stdout,
                              gboolean want_stderr, gboolean follow, volatile int *interrupted,
                              GError **error);

G_END_DECLS
