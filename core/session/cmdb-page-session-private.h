/* cmdb-page-session-private.h: one page, from activation to its command.
 *
 * Both front ends (the cmdbuilder CLI and the web server) go through a
 * CmdbPageSession for everything about a page's form, so they cannot
 * disagree: activate (the host maps the module and the registries its
 * schema needs) -> schema (found on the schema path, loaded through the
 * cache) -> read the user's input -> evaluate (the schema's declarative
 * rules, then the page plugin's own validation) -> build (the page's extra
 * overrides, the experiment-name suffix) -> the page's experiment name.
 *
 * The verdict on an explicit request (a CLI --set, POST /api/build,
 * POST /api/evaluate) is strict: a value that does not fit, is out of
 * range or is no longer offered is an error, never silently replaced by
 * the default. The web UI's stored form (CMDB_PAGE_SESSION_FOLLOW) is
 * judged the same way (a value typed in a field that does not fit is an
 * error under it, kept as typed), except that a stored choice a new
 * architecture no longer offers falls back to the default, with a warning
 * saying so.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"

G_BEGIN_DECLS

typedef enum
{
  /* Explicit requests: invalid input is an error (CMDB_FORM_KEEP_INVALID). */
  CMDB_PAGE_SESSION_STRICT,
  /* The web UI's stored form: as strict, but stored choices follow the
   * architecture. */
  CMDB_PAGE_SESSION_FOLLOW,
} CmdbPageSessionMode;

typedef struct _CmdbPageSession CmdbPageSession;

/* Opens page @page_id of @host for @context: it must be an enabled page;
 * it is activated and its schema found and loaded. Returns (transfer full)
 * the session, or NULL with @error (CMDB_HOST_ERROR for a missing, disabled
 * or broken page, the schema loader's error for an unreadable schema). */
#define cmdb_page_session_open _cmdb_page_session_open
CMDB_PRIVATE_EXPORT
CmdbPageSession *cmdb_page_session_open (CmdbHost *host, CmdbContext *context, const char *page_id,
                                         GError **error);
CmdbPageSession *cmdb_page_session_ref (CmdbPageSession *self);
#define cmdb_page_session_unref _cmdb_page_session_unref
CMDB_PRIVATE_EXPORT
void cmdb_page_session_unref (CmdbPageSession *self);

/* (transfer none) */
#define cmdb_page_session_get_id _cmdb_page_session_get_id
CMDB_PRIVATE_EXPORT
const char *cmdb_page_session_get_id (CmdbPageSession *self);
/* (transfer none): the workspace the page works on. */
CmdbContext *cmdb_page_session_get_context (CmdbPageSession *self);
/* (transfer none) */
#define cmdb_page_session_get_record _cmdb_page_session_get_record
CMDB_PRIVATE_EXPORT
CmdbPluginRecord *cmdb_page_session_get_record (CmdbPageSession *self);
/* (transfer none) */
CmdbPage *cmdb_page_session_get_page (CmdbPageSession *self);
/* (transfer none) */
#define cmdb_page_session_get_schema _cmdb_page_session_get_schema
CMDB_PRIVATE_EXPORT
CmdbSchema *cmdb_page_session_get_schema (CmdbPageSession *self);
/* (transfer none) */
#define cmdb_page_session_get_schema_path _cmdb_page_session_get_schema_path
CMDB_PRIVATE_EXPORT
const char *cmdb_page_session_get_schema_path (CmdbPageSession *self);
/* (transfer none): the page plugin's usable rule defaults ({key:
 * {attribute: value}}, cmdb-page.h). */
#define cmdb_page_session_get_rules _cmdb_page_session_get_rules
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_page_session_get_rules (CmdbPageSession *self);
/* (transfer none) (element-type CmdbProblem): what the page plugin got
 * wrong in its rule defaults (left out of them), located at its .plugin. */
#define cmdb_page_session_get_problems _cmdb_page_session_get_problems
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_page_session_get_problems (CmdbPageSession *self);

/* The experiment-name suffix. The page offers the choice when its plugin
 * says X-Suffix=true; the default is [command] suffix, else X-Suffix;
 * @choice (-1: none, 0 off, 1 on) is the user's explicit choice and wins. */
#define cmdb_page_session_has_suffix_option _cmdb_page_session_has_suffix_option
CMDB_PRIVATE_EXPORT
gboolean cmdb_page_session_has_suffix_option (CmdbPageSession *self);
#define cmdb_page_session_get_suffix_default _cmdb_page_session_get_suffix_default
CMDB_PRIVATE_EXPORT
gboolean cmdb_page_session_get_suffix_default (CmdbPageSession *self);
#define cmdb_page_session_resolve_suffix _cmdb_page_session_resolve_suffix
CMDB_PRIVATE_EXPORT
gboolean cmdb_page_session_resolve_suffix (CmdbPageSession *self, int choice);

/* Sets @key of @input from @text as typed by a user (cmdb_form_input_set_text).
 * FALSE with @error (CMDB_FORM_ERROR UNKNOWN_KEY or INVALID). */
#define cmdb_page_session_set_text _cmdb_page_session_set_text
CMDB_PRIVATE_EXPORT
gboolean cmdb_page_session_set_text (CmdbPageSession *self, CmdbFormInput *input, const char *key,
                                     const char *text, GError **error);
/* (transfer full): the input of a JSON request {values: {key: value},
 * user_set: [keys]} (a missing user_set counts every value as set). A
 * string is read as typed text, exactly like a CLI --set; other JSON
 * values are taken as they are. NULL with @error for an unknown key or a
 * text that does not fit (the same errors as cmdb_page_session_set_text). */
#define cmdb_page_session_read_json_input _cmdb_page_session_read_json_input
CMDB_PRIVATE_EXPORT
CmdbFormInput *cmdb_page_session_read_json_input (CmdbPageSession *self, JsonObject *request,
                                                  GError **error);

/* (transfer full): the smallest input that gives @values (a run's
 * recorded form values): only the values that differ from what the form
 * shows without them are set by the user, the architecture first, so the
 * others keep following their defaults (an architecture's change still
 * brings its components). */
#define cmdb_page_session_input_for_values _cmdb_page_session_input_for_values
CMDB_PRIVATE_EXPORT
CmdbFormInput *cmdb_page_session_input_for_values (CmdbPageSession *self, JsonObject *values);

/* (transfer full): evaluates the form for @input (nullable: the defaults):
 * the schema's rules, the page's rule defaults, then the page plugin's
 * validation, attached to the fields it names. */
#define cmdb_page_session_evaluate _cmdb_page_session_evaluate
CMDB_PRIVATE_EXPORT
CmdbFormState *cmdb_page_session_evaluate (CmdbPageSession *self, CmdbFormInput *input,
                                           CmdbPageSessionMode mode);
/* (transfer full): the command of @form, with the suffix rule on or off.
 * NULL with @error when the workspace configuration is unusable. */
#define cmdb_page_session_build _cmdb_page_session_build
CMDB_PRIVATE_EXPORT
CmdbCommand *cmdb_page_session_build (CmdbPageSession *self, CmdbFormState *form, gboolean suffix,
                                      GError **error);

/* (transfer none) (nullable): the key of the element that names the
 * experiment (the element whose rule role is experiment_name). */
#define cmdb_page_session_get_experiment_key _cmdb_page_session_get_experiment_key
CMDB_PRIVATE_EXPORT
const char *cmdb_page_session_get_experiment_key (CmdbPageSession *self, CmdbFormState *form);
/* (transfer full) (nullable): the experiment name @form gives, with the
 * suffix when @suffix: what the run's outputs are filed under. */
#define cmdb_page_session_get_experiment_name _cmdb_page_session_get_experiment_name
CMDB_PRIVATE_EXPORT
char *cmdb_page_session_get_experiment_name (CmdbPageSession *self, CmdbFormState *form,
                                             gboolean suffix);

/* The workspace set-up every run depends on (cmdb-page-session-setup.c).
 * (transfer full) (nullable): an error when the launcher ([command]
 * launcher) is neither on PATH nor an executable path, at the file that
 * set it. */
#define cmdb_check_launcher _cmdb_check_launcher
CMDB_PRIVATE_EXPORT
CmdbProblem *cmdb_check_launcher (CmdbContext *context);
/* (transfer full) (nullable): an error when the runner script @command
 * (the page's command) runs does not exist. */
#define cmdb_page_session_check_runner _cmdb_page_session_check_runner
CMDB_PRIVATE_EXPORT
CmdbProblem *cmdb_page_session_check_runner (CmdbPageSession *self, CmdbCommand *command);
/* (transfer full) (element-type CmdbProblem): both checks for this page,
 * empty when its runs can start. Only this page is looked at: nothing of
 * another page is activated. */
#define cmdb_page_session_check_setup _cmdb_page_session_check_setup
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_page_session_check_setup (CmdbPageSession *self, CmdbCommand *command);

/* The composition check (docs/compose-check.md) of @command's Hydra
 * overrides against the page's primary config. Returns (transfer full) the
 * verdict, or NULL when the workspace has no primary config for this page
 * (configs/<page>.yaml): then there is nothing to check against. */
#define cmdb_page_session_compose _cmdb_page_session_compose
CMDB_PRIVATE_EXPORT
CmdbComposeResult *cmdb_page_session_compose (CmdbPageSession *self, CmdbCommand *command);
/* The same for an argv as it will run (an edited text, a rerun): the words
 * after the workspace's launcher and the runner are the overrides. NULL
 * also when @argv does not start with the launcher and a runner (the
 * command's own check, cmdb_command_check_argv, reports that). */
#define cmdb_page_session_compose_argv _cmdb_page_session_compose_argv
CMDB_PRIVATE_EXPORT
CmdbComposeResult *cmdb_page_session_compose_argv (CmdbPageSession *self, GPtrArray *argv);

/* Shows @compose's problems where the user can act on them: each one whose
 * override a field of @form writes (the element's hydra_override) becomes
 * an error message of that field. Returns (transfer full) (element-type
 * utf8) the others ("OVERRIDE: message"), which belong to the command (an
 * extra override, a profile's, the edited text). */
#define cmdb_page_session_attach_compose _cmdb_page_session_attach_compose
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_page_session_attach_compose (CmdbPageSession *self, CmdbFormState *form,
                                             CmdbComposeResult *compose);

/* ---- reading a command text back onto the form ---- */

/* What an edited command text says about the form. */
typedef struct
{
  /* (transfer full): the form's input with every override a field owns
   * set from the text (as typed, like a CLI --set), the rest as it was. */
  CmdbFormInput *input;
  /* (element-type utf8): tokens no field owns (`+my.edit=1`, Hydra
   * flags), in the order written: kept, run, and shown as extras. */
  GPtrArray *extras;
  /* TRUE when the form's command plus the extras is the text (the same
   * runner and the same tokens, in any order): the form is in effect. */
  gboolean in_effect;
  /* (element-type utf8): why the form is not in effect, one line each
   * (another runner; a token the form adds or leaves out). */
  GPtrArray *differences;
  /* (nullable): a token that does not parse or a value that does not fit
   * its field, with its position, and that position: the offset of the
   * token in the text (in bytes), -1 when not known. */
  char *error;
  gssize error_offset;
} CmdbCommandReading;

/* (transfer full): reads @text, a command as edited by a user, against the
 * form of @current (nullable: the defaults) built with @suffix: its
 * runner must be the page's, and each override is mapped onto the field
 * whose override key it sets. NULL with CMDB_FORM_ERROR_SPLIT only when
 * the text cannot be split into words (an unclosed quote). */
#define cmdb_page_session_read_command _cmdb_page_session_read_command
CMDB_PRIVATE_EXPORT
CmdbCommandReading *cmdb_page_session_read_command (CmdbPageSession *self, CmdbFormInput *current,
                                                    gboolean suffix, const char *text,
                                                    GError **error);
#define cmdb_command_reading_free _cmdb_command_reading_free
CMDB_PRIVATE_EXPORT
void cmdb_command_reading_free (CmdbCommandReading *reading);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCommandReading, cmdb_command_reading_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbPageSession, cmdb_page_session_unref)

G_END_DECLS
