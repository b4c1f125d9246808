/* cmdb-form.h: evaluating a page schema into a form, and a form into a
 * command.
 *
 * Evaluation is a pure function of (schema, workspace facts reached through
 * the context, the submitted values and which of them the user set). It
 * computes, per element and in schema order: visibility, the choices after
 * architecture filtering, the effective default, the composed help, the
 * value, and its errors and warnings; then the cross-field checks.
 *
 * Precedence of a value: a value the user set (CLI --set, a form edit, an
 * applied use case) while it is still valid; otherwise the effective
 * default. Effective default: the element's metadata_default_key value from
 * the selected architecture, else the optimizer's default (for elements with
 * optimizer_metadata_key), else `default`; a numeric default is kept inside
 * the optimizer's min/max. So an architecture's default_learning_rate applies
 * until the user sets the rate, and the optimizer still bounds it.
 *
 * docs/commands.md describes how the command is composed; docs/quirks.md
 * what differs from the original.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "cmdb-context.h"
#include "cmdb-page.h"
#include "cmdb-problem.h"
#include "cmdb-schema.h"

G_BEGIN_DECLS

#define CMDB_FORM_ERROR (cmdb_form_error_quark ())

typedef enum
{
  CMDB_FORM_ERROR_FAILED,
  CMDB_FORM_ERROR_UNKNOWN_KEY, /* --set of a key the schema does not have */
  CMDB_FORM_ERROR_INVALID,     /* a value that does not fit the element's type */
  CMDB_FORM_ERROR_SPLIT,       /* an edited command text that cannot be split */
} CmdbFormError;

typedef enum
{
  CMDB_FORM_FLAGS_NONE = 0,
  /* A value the user set that is not (or no longer) among the choices is kept
   * and reported, instead of falling back to the default with a warning. The
   * CLI uses it: an explicit --set is never silently replaced. */
  CMDB_FORM_KEEP_INVALID = 1 << 0,
  /* With KEEP_INVALID: a choice the architecture filtered out (the user
   * changed the architecture afterwards) follows it, falling back to the
   * default with a warning. The web UI's stored form uses it. */
  CMDB_FORM_FOLLOW_ARCHITECTURE = 1 << 1,
} CmdbFormFlags;

/* What the user submitted. */
typedef struct _CmdbFormInput CmdbFormInput;

#define CMDB_TYPE_FORM_INPUT (cmdb_form_input_get_type ())
/**
 * cmdb_form_input_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_form_input_get_type (void) G_GNUC_CONST;

/**
 * cmdb_form_input_new:
 *
 * Returns: (transfer full): an empty input (every element at its default).
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormInput *cmdb_form_input_new (void);
/**
 * cmdb_form_input_new_from_json:
 *
 * Returns: (transfer full): an input from JSON {values: {key: value}, user_set: [keys]}; a missing
 *   user_set counts every given value as set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormInput *cmdb_form_input_new_from_json (JsonObject *object);
/**
 * cmdb_form_input_copy:
 * @input: the input
 *
 * Returns: (transfer full): a copy.
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormInput *cmdb_form_input_copy (CmdbFormInput *input);
/**
 * cmdb_form_input_free:
 * @input: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_form_input_free (CmdbFormInput *input);
/**
 * cmdb_form_input_set:
 * @input: the input
 * @key: an element key
 * @value: (transfer full) (nullable): the value, or NULL to remove it
 * @user_set: whether the user set it
 *
 * Sets @key to @value (transfer full; NULL removes it).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_form_input_set (CmdbFormInput *input, const char *key, JsonNode *value,
                          gboolean user_set);
/**
 * cmdb_form_input_set_text:
 *
 * Sets @key from the text @text as typed on a command line, parsed by the element's type: numbers
 * for sliders and number inputs, true/false for checkboxes, [a,b] for multiselects, a label of a
 * label/value option is turned into its value. An unknown key fails with UNKNOWN_KEY, naming the
 * closest key; a value of the wrong shape with INVALID.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_form_input_set_text (CmdbFormInput *input, CmdbSchema *schema, const char *key,
                                   const char *text, GError **error);
/**
 * cmdb_form_input_get:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_form_input_get (CmdbFormInput *input, const char *key);
/**
 * cmdb_form_input_is_user_set:
 * @input: the input
 * @key: an element key
 *
 * Returns: whether the user set @key.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_form_input_is_user_set (CmdbFormInput *input, const char *key);
/**
 * cmdb_form_input_to_json:
 *
 * Returns: (transfer full): {values, user_set}.
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_form_input_to_json (CmdbFormInput *input);

/* One element's evaluated state. */
typedef struct
{
  const CmdbSchemaElement *element; /* (transfer none) */
  gboolean visible;
  GPtrArray *options;      /* (nullable) (element-type CmdbSchemaOption) choices after filtering */
  JsonNode *value;         /* (nullable) null when hidden or without value */
  JsonNode *default_value; /* (nullable) the effective default */
  gboolean user_set;       /* the value is the user's */
  char *help;              /* (nullable) composed help */
  GPtrArray *errors;       /* (element-type utf8) */
  GPtrArray *warnings;     /* (element-type utf8) */
  JsonNode *min;           /* (nullable) effective slider/number bounds */
  JsonNode *max;           /* (nullable) */
  JsonNode *step;          /* (nullable) */
  char *info_text;         /* (nullable) info elements */
  char *architecture;      /* (nullable) architecture whose metadata applied */
} CmdbFieldState;

typedef struct _CmdbFormState CmdbFormState;

#define CMDB_TYPE_FORM_STATE (cmdb_form_state_get_type ())
/**
 * cmdb_form_state_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_form_state_get_type (void) G_GNUC_CONST;

/**
 * cmdb_form_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_form_error_quark (void);

/**
 * cmdb_form_evaluate:
 * @context: (nullable): the workspace
 * @input: (nullable): the user's values
 *
 * Evaluates @schema. @context (nullable: no workspace, so no option sources and no metadata) gives
 * option lists and architecture/optimizer metadata; @input (nullable) the user's values. Never
 * fails: problems with option sources are in cmdb_form_state_get_problems(). (transfer full)
 *
 * Returns: (transfer full): the evaluated form.
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormState *cmdb_form_evaluate (CmdbSchema *schema, CmdbContext *context, CmdbFormInput *input,
                                   CmdbFormFlags flags);
/**
 * cmdb_form_evaluate_with_rules:
 * @context: (nullable): the workspace
 * @input: (nullable): the user's values
 * @rules: (nullable): the page's rule defaults
 *
 * The same, with @rules (nullable): a page plugin's rule defaults, {element key: {rule attribute:
 * value}} (cmdb_page_get_rules), applying where the schema's element does not set that attribute
 * itself.
 *
 * Returns: (transfer full): the evaluated form.
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormState *cmdb_form_evaluate_with_rules (CmdbSchema *schema, CmdbContext *context,
                                              CmdbFormInput *input, CmdbFormFlags flags,
                                              JsonObject *rules);
/**
 * cmdb_form_state_ref:
 * @state: the object
 *
 * Returns: (transfer full): @state, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbFormState *cmdb_form_state_ref (CmdbFormState *state);
/**
 * cmdb_form_state_unref:
 * @state: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_form_state_unref (CmdbFormState *state);
/**
 * cmdb_form_state_get_schema:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_form_state_get_schema (CmdbFormState *state);
/**
 * cmdb_form_state_get_n_fields:
 * @state: the form
 *
 * Returns: how many fields it has.
 */
CMDB_AVAILABLE_IN_ALL
guint cmdb_form_state_get_n_fields (CmdbFormState *state);
/**
 * cmdb_form_state_get_field:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbFieldState *cmdb_form_state_get_field (CmdbFormState *state, guint index);
/**
 * cmdb_form_state_lookup:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const CmdbFieldState *cmdb_form_state_lookup (CmdbFormState *state, const char *key);
/**
 * cmdb_form_state_get_values:
 *
 * Returns: (transfer none): the visible elements' values, key -> value (what page hooks receive:
 *   hidden elements and info elements are absent).
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_form_state_get_values (CmdbFormState *state);
/**
 * cmdb_form_state_get_messages:
 *
 * Returns: (transfer none) (element-type CmdbProblem): validation errors and warnings (subject:
 *   the element key), in check order.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_form_state_get_messages (CmdbFormState *state);
/**
 * cmdb_form_state_has_errors:
 * @state: the form
 *
 * Returns: whether a field or the form has an error.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_form_state_has_errors (CmdbFormState *state);
/**
 * cmdb_form_state_add_message:
 *
 * Adds a message about element @key (nullable: about the form) to @state, under the field too: how
 * a page plugin's validation joins the schema's.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_form_state_add_message (CmdbFormState *state, CmdbSeverity severity, const char *key,
                                  const char *message);
/**
 * cmdb_form_state_get_rule:
 *
 * Returns: (transfer none) (nullable): rule attribute @name of element @key as the evaluation saw
 *   it (the schema's, else the page's rule default).
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_form_state_get_rule (CmdbFormState *state, const char *key, const char *name);
/**
 * cmdb_form_state_find_role:
 *
 * Returns: (transfer none) (nullable): the key of the first element whose `role` rule is @role
 *   (e.g. "experiment_name").
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_form_state_find_role (CmdbFormState *state, const char *role);
/**
 * cmdb_form_state_get_problems:
 *
 * Returns: (transfer none) (element-type CmdbProblem): problems of the workspace met while
 *   evaluating (an option source that cannot be listed), located at the schema key that asked for
 *   it.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_form_state_get_problems (CmdbFormState *state);
/**
 * cmdb_form_state_to_json:
 *
 * Returns: (transfer full): {title, fields: [{key, type, label, help, visible, options: [{label,
 *   value}], value, default, user_set, errors, warnings, min, max, step, format, info}], values,
 *   errors, warnings, problems}.
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_form_state_to_json (CmdbFormState *state);

/* ---- use cases (recommendations) ---- */

typedef struct
{
  char *id;
  char *title;
  char *description;
  char *architecture;
  JsonObject *parameters; /* the recommendations with non-empty values */
} CmdbUseCase;

/**
 * cmdb_list_use_cases:
 *
 * Returns: (transfer full) (element-type CmdbUseCase): all use cases of @architecture when it is
 *   known, else the first use case of every architecture that has any (architecture name order).
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_list_use_cases (CmdbContext *context, const char *architecture);
/**
 * cmdb_use_case_free:
 * @use_case: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_use_case_free (CmdbUseCase *use_case);
/**
 * cmdb_use_case_to_json:
 *
 * Returns: (transfer full): {id, title, description, architecture, parameters}.
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_use_case_to_json (const CmdbUseCase *use_case);
/**
 * cmdb_form_input_apply_use_case:
 *
 * Sets every parameter of @use_case that names an element of @schema, as set by the user. A value
 * that matches an option's label instead of its value is stored as the value (the preprocessing
 * profile).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_form_input_apply_use_case (CmdbFormInput *input, CmdbSchema *schema,
                                     const CmdbUseCase *use_case);

/* ---- commands ---- */

typedef struct
{
  const char *runner; /* runner file name (X-Runner), e.g. "train.py" */
  gboolean suffix;    /* apply the name_suffix rule */
  CmdbPage *page;     /* (nullable) page extension: its hooks are called */
} CmdbCommandOptions;

/* A composed command, shared and immutable. Opaque: read it with the
 * accessors below. */
typedef struct _CmdbCommand CmdbCommand;

#define CMDB_TYPE_COMMAND (cmdb_command_get_type ())
/**
 * cmdb_command_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_command_get_type (void) G_GNUC_CONST;

/**
 * cmdb_command_get_argv:
 *
 * Returns: (transfer none) (element-type utf8): what is executed.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_argv (CmdbCommand *command);
/**
 * cmdb_command_get_display:
 *
 * Returns: (transfer none): shell-quoted, one line: what is copied.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_command_get_display (CmdbCommand *command);
/**
 * cmdb_command_get_pretty:
 *
 * Returns: (transfer none): the multi-line form, ` \` continued.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_command_get_pretty (CmdbCommand *command);
/**
 * cmdb_command_get_overrides:
 *
 * Returns: (transfer none) (element-type utf8): the override tokens after the constant ones.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_overrides (CmdbCommand *command);
/**
 * cmdb_command_get_constant_overrides:
 *
 * Returns: (transfer none) (element-type utf8):
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_constant_overrides (CmdbCommand *command);
/**
 * cmdb_command_get_errors:
 *
 * Returns: (transfer none) (element-type utf8): errors block running it.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_errors (CmdbCommand *command);
/**
 * cmdb_command_get_warnings:
 *
 * Returns: (transfer none) (element-type utf8):
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_warnings (CmdbCommand *command);

/**
 * cmdb_command_build:
 *
 * Composes the command of an evaluated form: launcher words, runner path, constant overrides, the
 * form's overrides (an element with a name_suffix rule gets its suffix when options->suffix), the
 * overrides of the profile a profile_overrides element selects, then the page hook's extra
 * overrides. The page's validation is the evaluation's (the page session runs it), so its errors
 * are the form's. Returns (transfer full) the command (with errors when the form or the page's
 * validation has errors, in which case argv is still filled for display), or NULL with @error when
 * the workspace configuration is unusable (an unbalanced launcher).
 *
 * Returns: (transfer full): the command, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCommand *cmdb_command_build (CmdbFormState *state, CmdbContext *context,
                                 const CmdbCommandOptions *options, GError **error);
/**
 * cmdb_command_ref:
 * @command: the object
 *
 * Returns: (transfer full): @command, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbCommand *cmdb_command_ref (CmdbCommand *command);
/**
 * cmdb_command_get_name_suffix:
 *
 * Returns: (transfer full): what the name_suffix rule of element @key appends to its value (""
 *   when it does not apply or @enabled is FALSE).
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_command_get_name_suffix (CmdbFormState *state, const char *key, gboolean enabled);
/**
 * cmdb_command_unref:
 * @command: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_command_unref (CmdbCommand *command);
/**
 * cmdb_command_to_json:
 *
 * Returns: (transfer full): {command, argv, overrides, constant_overrides, errors, warnings}.
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_command_to_json (CmdbCommand *command);

/**
 * cmdb_command_split_text:
 *
 * Splits an edited command text back into argv (POSIX word rules, no expansion). Returns (transfer
 * full) (element-type utf8), or NULL with @error (SPLIT) for an unbalanced quote.
 *
 * Returns: (transfer full) (element-type utf8): the words, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_split_text (const char *text, GError **error);
/**
 * cmdb_command_check_argv:
 * @argv: (element-type utf8): the words to run
 *
 * Checks an argv before it runs: the launcher words of the workspace come first, the runner
 * exists, and every token after it reads as a Hydra override. Returns FALSE with @error naming the
 * first problem.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_command_check_argv (GPtrArray *argv, CmdbContext *context, GError **error);

/**
 * cmdb_command_get_launcher:
 *
 * Returns: (transfer full) (element-type utf8): the launcher words of the workspace ([command]
 *   launcher, default "uv run python").
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_command_get_launcher (CmdbContext *context, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbFormInput, cmdb_form_input_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbFormState, cmdb_form_state_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCommand, cmdb_command_unref)

G_END_DECLS
