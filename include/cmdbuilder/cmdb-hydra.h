/* cmdb-hydra.h: Hydra override reader, value rendering, shell layer.
 *
 * A pure module: no files, no cache, no global state.
 *
 * Three layers, each usable on its own:
 *
 *  1. The override reader (cmdb_hydra_override_parse) reads one argv token
 *     exactly as Hydra 1.3's override parser does: the override type, the
 *     key, the package and the typed value (or the reason it is refused).
 *     It is checked against 1,603 verdicts of Hydra 1.3.2 itself
 *     (tests/hydra/data/hydra-vectors.jsonl).
 *
 *  2. The renderer (cmdb_hydra_format_override) turns a key and a JSON value
 *     into one `key=value` argv token that Hydra reads back as that value.
 *     Strings are quoted with the round-trip rule (docs/hydra-quoting.md):
 *     wrap in double quotes; a run of n backslashes before a `"` becomes 2n
 *     backslashes and `\"`; a trailing run of n becomes 2n; everything else
 *     is copied as it is.
 *
 *  3. The shell layer (cmdb_shell_*) makes the text a person copies out of an
 *     argv vector and splits an edited text back into argv. Commands are
 *     never run through a shell: the text is for display and editing only.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CMDB_HYDRA_ERROR (cmdb_hydra_error_quark ())

typedef enum
{
  CMDB_HYDRA_ERROR_FAILED,
  CMDB_HYDRA_ERROR_PARSE, /* a token Hydra's override parser refuses */
  CMDB_HYDRA_ERROR_KEY,   /* a key outside Hydra's key grammar (or empty) */
  CMDB_HYDRA_ERROR_VALUE, /* a value that cannot be written as an override */
  CMDB_HYDRA_ERROR_SPLIT, /* a command text that does not split into words */
} CmdbHydraError;

/**
 * cmdb_hydra_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_hydra_error_quark (void);

/* ------------------------------------------------------------------------ */
/* 1. Reading overrides                                                      */
/* ------------------------------------------------------------------------ */

typedef enum
{
  CMDB_HYDRA_OVERRIDE_CHANGE,    /* key=value */
  CMDB_HYDRA_OVERRIDE_ADD,       /* +key=value: the key must not exist */
  CMDB_HYDRA_OVERRIDE_FORCE_ADD, /* ++key=value: add or override */
  CMDB_HYDRA_OVERRIDE_DELETE,    /* ~key or ~key=value */
} CmdbHydraOverrideType;

typedef enum
{
  CMDB_HYDRA_VALUE_STRING,
  CMDB_HYDRA_VALUE_INT,
  CMDB_HYDRA_VALUE_FLOAT,
  CMDB_HYDRA_VALUE_BOOL,
  CMDB_HYDRA_VALUE_NULL, /* also `~key` without a value */
  CMDB_HYDRA_VALUE_LIST,
  CMDB_HYDRA_VALUE_DICT,
  CMDB_HYDRA_VALUE_SWEEP, /* `a,b`, choice(), range(), interval(), glob() */
} CmdbHydraValueType;

/* What kind of sweep a CMDB_HYDRA_VALUE_SWEEP value is, and how its JSON
 * value is laid out. */
typedef enum
{
  CMDB_HYDRA_SWEEP_NONE,     /* not a sweep */
  CMDB_HYDRA_SWEEP_CHOICE,   /* `a,b` or choice(a,b): an array of the choices */
  CMDB_HYDRA_SWEEP_RANGE,    /* range(start,stop,step): an array of the values */
  CMDB_HYDRA_SWEEP_INTERVAL, /* interval(a,b): the array [a, b] of two floats */
  CMDB_HYDRA_SWEEP_GLOB,     /* glob(): {"include": [...], "exclude": [...]} */
} CmdbHydraSweepKind;

/* One parsed override. Values are JSON: strings, int64 ints, doubles (inf and
 * nan included), booleans, null, arrays and objects. */
typedef struct
{
  CmdbHydraOverrideType type;
  char *key;     /* without +/++/~ and @package; "" for `=x` */
  char *package; /* (nullable): NULL without `@`; "" for `db@=x` */
  CmdbHydraValueType value_type;
  JsonNode *value; /* never NULL; a null node for `~key` */
  CmdbHydraSweepKind sweep_kind;
  gboolean has_value;    /* FALSE only for `~key` without `=` */
  gboolean value_quoted; /* the value was one quoted string */
} CmdbHydraOverride;

#define CMDB_TYPE_HYDRA_OVERRIDE (cmdb_hydra_override_get_type ())
/**
 * cmdb_hydra_override_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_hydra_override_get_type (void) G_GNUC_CONST;

/**
 * cmdb_hydra_override_parse:
 *
 * Reads one argv token (after shell word splitting) as Hydra 1.3.2 does. Returns (transfer full)
 * the override, or NULL with CMDB_HYDRA_ERROR_PARSE and a message naming the token and, where
 * known, the column (1-based, in characters) of the problem.  Hydra's own parser also accepts an
 * empty key (`=x`); this reader does too, to agree with it: callers that build commands refuse
 * empty keys (cmdb_hydra_check_key does).  Known differences from Hydra: an int that does not fit
 * in 64 bits is refused; shuffle() keeps its order (Hydra shuffles at launch); tag() accepts its
 * tags and drops them; glob() is not expanded.
 *
 * Returns: (transfer full): the override, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbHydraOverride *cmdb_hydra_override_parse (const char *token, GError **error);
/**
 * cmdb_hydra_override_copy:
 *
 * Returns: (transfer full) (nullable): a copy.
 */
CMDB_AVAILABLE_IN_ALL
CmdbHydraOverride *cmdb_hydra_override_copy (const CmdbHydraOverride *override);
/**
 * cmdb_hydra_override_free:
 * @override: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_hydra_override_free (CmdbHydraOverride *override);

/**
 * cmdb_hydra_override_type_to_string:
 *
 * Returns: (transfer none): "CHANGE", "ADD", "FORCE_ADD", "DEL" (Hydra's names) and "str", "int",
 *   "float", "bool", "null", "list", "dict", "sweep".
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_hydra_override_type_to_string (CmdbHydraOverrideType type);
/**
 * cmdb_hydra_value_type_to_string:
 * @type: a value type
 *
 * Returns: (transfer none): its name ("str", "int", ...).
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_hydra_value_type_to_string (CmdbHydraValueType type);

/**
 * cmdb_hydra_check_key:
 *
 * Checks an override key as a command builder writes it: an optional `+`, `++` or `~` prefix, then
 * a dotted key (`trainer.max_epochs`, `foo.0`, `a-b`, `$a`) or a config group
 * (`model/architectures`), then optionally `@package`. Keys are never quoted, so a key outside the
 * grammar (or an empty one) is an error, CMDB_HYDRA_ERROR_KEY, whose message names the key.
 * Returns TRUE when the key is usable.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_hydra_check_key (const char *key, GError **error);

/* ------------------------------------------------------------------------ */
/* 2. Rendering values                                                       */
/* ------------------------------------------------------------------------ */

/* How string values are written. Numbers, booleans and null are always
 * written as Hydra constants (`42`, `0.001`, `1e-05`, `true`, `null`). */
typedef enum
{
  /* Values picked from a list (selectbox, slider, number, checkbox): a
   * string inside [A-Za-z0-9_./+\-@%$] is written bare, as a person would,
   * so `32` reaches the program as the int 32 and `bf16-mixed` as a string.
   * Any other string is quoted with the round-trip rule. */
  CMDB_HYDRA_STYLE_BARE,
  /* Free text: written bare only when it is inside the same set AND bare it
   * reads back as exactly the same string; otherwise quoted. So `123`,
   * `1e5`, `null`, `true`, `inf` stay strings (`"123"`). `${...}` is passed
   * through as written (OmegaConf resolves it, also inside quotes). */
  CMDB_HYDRA_STYLE_TEXT,
} CmdbHydraValueStyle;

/**
 * cmdb_hydra_format_float:
 *
 * Python's repr() of a double: the shortest text that reads back as the same double; scientific
 * when the decimal exponent is < -4 or >= 16, with at least two exponent digits (`1e-05`,
 * `0.0001`, `5.0`, `1e+16`, `0.30000000000000004`, `inf`, `-inf`, `nan`). Hydra reads each back as
 * the same float. (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_hydra_format_float (double value);

/**
 * cmdb_hydra_quote_string:
 *
 * The round-trip quoting rule: returns (transfer full) @value wrapped in double quotes so that
 * Hydra reads it back as exactly @value.
 *
 * Returns: (transfer full): the quoted value.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_hydra_quote_string (const char *value);

/**
 * cmdb_hydra_escape_interpolations:
 *
 * Makes every `${` in @value literal for OmegaConf (no interpolation): each run of n backslashes
 * followed by `${` becomes 2n+1 backslashes. Quote the result afterwards. Free text passes
 * `${...}` through by default; use this where a field must not interpolate. (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_hydra_escape_interpolations (const char *value);

/**
 * cmdb_hydra_format_value:
 *
 * Renders @value (a scalar, an array of scalars/arrays, or an object with ID-like keys) as the
 * text after `key=`. Arrays are `[a,b]` with each element rendered by the scalar rule of @style
 * (quoted when needed); an empty array is `[]` and an empty string `""` (callers omit empty
 * values, see cmdb_hydra_format_override). Returns (transfer full) the text, or NULL with
 * CMDB_HYDRA_ERROR_VALUE for an object key that cannot be written.
 *
 * Returns: (transfer full): the text, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_hydra_format_value (JsonNode *value, CmdbHydraValueStyle style, GError **error);

/**
 * cmdb_hydra_format_override:
 * @value: (nullable): the value
 *
 * Builds one override token `key=value` (transfer full). @key is checked with cmdb_hydra_check_key
 * (CMDB_HYDRA_ERROR_KEY, never quoted). @value (nullable): NULL writes the key alone, which only a
 * `~key` deletion may do. The caller decides what is "empty" (the command builder omits null, ""
 * and empty lists; `0`, `0.0` and `false` are values); this function writes whatever it is given.
 * A suffix (the Train page's `exp_name` + `-arch-decoder-encoder`) is appended to the plain string
 * value BEFORE calling this, never to a rendered token: that is how the original's nested quotes
 * are avoided.
 *
 * Returns: (transfer full): the token, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_hydra_format_override (const char *key, JsonNode *value, CmdbHydraValueStyle style,
                                  GError **error);

/* ------------------------------------------------------------------------ */
/* 3. The shell layer                                                        */
/* ------------------------------------------------------------------------ */

/**
 * cmdb_shell_quote:
 *
 * Returns (transfer full) @token as POSIX shell text: unchanged when it is non-empty and made only
 * of [A-Za-z0-9_./+\-@%:=,], otherwise wrapped in single quotes with each `'` written as `'\''`.
 *
 * Returns: (transfer full): the quoted word.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_shell_quote (const char *token);

/**
 * cmdb_shell_join:
 * @argv: (array zero-terminated=1): the words
 *
 * Joins @argv (NULL-terminated) with single spaces, each word quoted with cmdb_shell_quote (the
 * first word is also quoted when it contains `=`, so it cannot read as an assignment). (transfer
 * full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_shell_join (const char *const *argv);

/**
 * cmdb_shell_split:
 * @text: the command text
 * @ret_argv: (out) (transfer full) (array zero-terminated=1): the words
 * @error: return location for an error
 *
 * Splits @text into words with POSIX shell rules and no expansion: blanks (space, tab, newline)
 * separate words; `'...'` is literal; in `"..."` a backslash escapes only $ ` " \ and newline;
 * outside quotes a backslash escapes the next character; backslash-newline joins lines; an
 * unquoted `#` at the start of a word starts a comment up to the end of the line. `$x`, `~`, `*`
 * stay literal. Unquoted shell operators (| & ; < > ( ) and `) are refused: the command is never
 * run through a shell. On success stores (transfer full) a NULL-terminated vector in @ret_argv.
 * Fails with CMDB_HYDRA_ERROR_SPLIT and a message giving the 1-based line and column of an
 * unbalanced quote, a trailing backslash or an operator.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_shell_split (const char *text, char ***ret_argv, GError **error);

/**
 * cmdb_shell_format_pretty:
 * @argv: (array zero-terminated=1): the words
 *
 * The multi-line display form: the first @n_head words on the first line, then one word per line
 * indented by two spaces; every line but the last ends with ` \`. Words are quoted with
 * cmdb_shell_quote, so the text splits back (cmdb_shell_split or /bin/sh) into @argv. (transfer
 * full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_shell_format_pretty (const char *const *argv, guint n_head);

/**
 * cmdb_shell_format_pretty_text:
 *
 * The same for a command text: split with cmdb_shell_split; when that fails, split at blanks
 * instead and start with a line `# Note: best-effort formatting due to quoting error: <message>`.
 * (transfer full)
 *
 * Returns: (transfer full):
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_shell_format_pretty_text (const char *text, guint n_head);

/* Classes of output lines, for highlighting a run's log. */
typedef enum
{
  CMDB_SHELL_LINE_PLAIN,
  CMDB_SHELL_LINE_METRICS,  /* contains "epoch" and "loss" */
  CMDB_SHELL_LINE_ERROR,    /* error, exception, failed, traceback */
  CMDB_SHELL_LINE_WARNING,  /* warning */
  CMDB_SHELL_LINE_SUCCESS,  /* success, completed, done */
  CMDB_SHELL_LINE_PROGRESS, /* starts with `[` (after blanks) and contains `]` */
} CmdbShellLineClass;

/**
 * cmdb_shell_classify_line:
 *
 * Classifies one output line (case-insensitive, first match wins, in the order of the enum above).
 * NULL and blank lines are PLAIN.
 */
CMDB_AVAILABLE_IN_ALL
CmdbShellLineClass cmdb_shell_classify_line (const char *line);
/**
 * cmdb_shell_line_class_to_string:
 *
 * Returns: (transfer none): "plain", "metrics", "error", "warning", "success", "progress".
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_shell_line_class_to_string (CmdbShellLineClass line_class);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbHydraOverride, cmdb_hydra_override_free)

G_END_DECLS
