#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose.c: the composition check's driver, in Hydra's order:
 *
 *   1. read every override (a token Hydra's parser refuses stops here);
 *   2. hydra.searchpath must be a list of strings;
 *   3. a sweep (`a,b`, `range(...)`) is refused: compose is a single run;
 *   4. the defaults list (cmdb-compose-defaults.c) with the group choices;
 *   5. merge its configs, each at its package;
 *   6. apply the value overrides in order, in struct mode;
 *   7. the resolve stage (reported apart: it does not change the verdict).
 */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

struct _CmdbComposeResult
{
  gint ref_count;  /* shared by the cache's entry and its callers */
  char *signature; /* (nullable) what cmdb_compose_argv() composed */
  char *config_name;
  gboolean ok;
  GPtrArray *problems; /* ComposeProblem */
  GPtrArray *keys;     /* (nullable) */
  JsonObject *choices; /* (nullable) */
  JsonArray *resolve_problems;
};

ComposeProblem *
compose_problem_new (const char *error_class, const char *override, const char *format, ...)
{
  ComposeProblem *problem = g_new0 (ComposeProblem, 1);
  va_list args;

  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  problem->error_class = g_strdup (error_class);
  problem->override = g_strdup (override);
  return problem;
}

void
compose_problem_free (ComposeProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->error_class);
  g_free (problem->message);
  g_free (problem->cause);
  g_free (problem->override);
  g_free (problem->hint);
  g_free (problem);
}

/* ---- hints --------------------------------------------------------------- */

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

/* The key of @dict closest to @name, if close enough to be a typo. */
static const char *
closest_key (const CfgNode *dict, const char *name)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  guint limit = MAX (1, (guint) strlen (name) / 3);

  if (dict == NULL || dict->kind != CFG_DICT)
    return NULL;
  for (guint i = 0; i < dict->keys->len; i++)
    {
      const char *key = g_ptr_array_index (dict->keys, i);
      guint distance = edit_distance (name, key);

      if (strcmp (key, name) != 0 && distance < best_distance)
        {
          best_distance = distance;
          best = key;
        }
    }
  return best_distance <= limit ? best : NULL;
}

/* "did you mean 'trainer.max_epochs'?" for a key that is not in the config,
 * or the advice to add it with '+'. */
static char *
missing_key_hint (const CfgNode *cfg, const char *key, const char *token)
{
  g_auto (GStrv) parts = g_strsplit (key, ".", -1);
  const CfgNode *node = cfg;
  g_autoptr (GString) prefix = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const CfgNode *next = cfg_dict_get (node, parts[i]);

      if (next == NULL)
        {
          const char *close = closest_key (node, parts[i]);

          if (close != NULL)
            return g_strdup_printf ("did you mean '%s%s'?", prefix->str, close);
          break;
        }
      g_string_append_printf (prefix, "%s.", parts[i]);
      node = next;
    }
  return g_strdup_printf ("the key does not exist: add '+' to add it (+%s)", token);
}

/* ---- selecting and updating values --------------------------------------- */

typedef enum
{
  APPLY_OK,
  APPLY_STRUCT,      /* ConfigAttributeError / ConfigKeyError */
  APPLY_OMEGACONF,   /* another OmegaConf error: "Error merging override" */
  APPLY_TYPE_ERROR,  /* a plain Python TypeError */
  APPLY_VALUE_ERROR, /* a plain Python ValueError */
} ApplyStatus;

static gboolean
parse_index (const char *text, guint *ret_index)
{
  char *end = NULL;
  guint64 value;

  if (text[0] == '\0' || !g_ascii_isdigit (text[0]))
    return FALSE;
  value = g_ascii_strtoull (text, &end, 10);
  if (*end != '\0' || value > G_MAXUINT)
    return FALSE;
  *ret_index = (guint) value;
  return TRUE;
}

static CfgNode *
child_of (const CfgNode *node, const char *part)
{
  guint index;

  if (node->kind == CFG_DICT)
    return cfg_dict_get (node, part);
  if (node->kind == CFG_LIST && parse_index (part, &index) && index < node->items->len)
    return g_ptr_array_index (node->items, index);
  return NULL;
}

/* OmegaConf.select(cfg, key, throw_on_missing=False): the node at @key,
 * resolved; NULL for absent, null and `???` values. An interpolation that
 * does not resolve is an error. A string built by interpolation comes back
 * as @ret_text. */
static ApplyStatus
select_value (CfgNode *cfg, const char *key, const CfgNode **ret_node, char **ret_text,
              char **ret_message)
{
  g_auto (GStrv) parts = g_strsplit (key, ".", -1);
  const CfgNode *current = cfg;

  *ret_node = NULL;
  *ret_text = NULL;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      CfgNode *next = current->kind != CFG_VALUE ? child_of (current, parts[i]) : NULL;
      guint index;

      if (current->kind == CFG_LIST && !parse_index (parts[i], &index))
        {
          /* OmegaConf refuses a key that is not an index on a list. */
          *ret_message = g_strdup_printf ("Index '%s' (str) is not an int", parts[i]);
          return APPLY_OMEGACONF;
        }
      if (next == NULL || cfg_node_is_missing (next))
        return APPLY_OK;
      if (cfg_node_is_interpolation (next))
        {
          const CfgNode *target = NULL;
          g_autofree char *text = NULL;

          if (cfg_resolve_node (cfg, next, &target, &text, ret_message) != CFG_RESOLVE_OK)
            return APPLY_OMEGACONF;
          if (text != NULL)
            {
              if (parts[i + 1] == NULL)
                *ret_text = g_steal_pointer (&text);
              return APPLY_OK;
            }
          next = (CfgNode *) target;
        }
      if (parts[i + 1] == NULL)
        {
          if (!cfg_node_is_null (next) && !cfg_node_is_missing (next))
            *ret_node = next;
          return APPLY_OK;
        }
      if (!cfg_node_is_container (next))
        return APPLY_OK;
      current = next;
    }
  return APPLY_OK;
}

/* OmegaConf.update(cfg, key, value, merge=True, force_add=...) on a config
 * in struct mode. */
static ApplyStatus
update_value (CfgNode *cfg, const char *key, JsonNode *value, gboolean force_add,
              char **ret_message)
{
  g_auto (GStrv) parts = g_strsplit (key, ".", -1);
  CfgNode *root = cfg;
  guint n = g_strv_length (parts);
  const char *last = parts[n - 1];
  guint index = 0;

  for (guint i = 0; i + 1 < n; i++)
    {
      CfgNode *next;

      if (root->kind == CFG_LIST && !parse_index (parts[i], &index))
        {
          *ret_message = g_strdup_printf ("Index '%s' (str) is not an int", parts[i]);
          return APPLY_TYPE_ERROR;
        }
      next = child_of (root, parts[i]);
      if (next == NULL || !cfg_node_is_container (next))
        {
          if (root->kind == CFG_DICT)
            {
              if (next == NULL && !force_add)
                {
                  *ret_message = g_strdup_printf ("Key '%s' is not in struct", parts[i]);
                  return APPLY_STRUCT;
                }
              cfg_dict_set (root, parts[i], cfg_node_new_dict ());
            }
          else
            {
              if (next == NULL)
                {
                  *ret_message = g_strdup ("list index out of range");
                  return APPLY_OMEGACONF;
                }
              {
                CfgNode *dict = cfg_node_new_dict ();

                dict->parent = root;
                cfg_node_free (g_ptr_array_index (root->items, index));
                g_ptr_array_index (root->items, index) = dict;
              }
            }
          next = child_of (root, parts[i]);
        }
      root = next;
    }

  if (root->kind == CFG_LIST && !parse_index (last, &index))
    {
      *ret_message = g_strdup_printf ("invalid literal for int() with base 10: '%s'", last);
      return APPLY_VALUE_ERROR;
    }
  if (root->kind == CFG_LIST && index >= root->items->len)
    {
      *ret_message = g_strdup ("list index out of range");
      return APPLY_OMEGACONF;
    }
  if (JSON_NODE_HOLDS_OBJECT (value) || JSON_NODE_HOLDS_ARRAY (value))
    {
      CfgNode *node = child_of (root, last);

      if (node != NULL && cfg_node_is_container (node))
        {
          g_autoptr (CfgNode) src = cfg_node_from_json (value);
          gboolean struct_error = FALSE;

          if (!cfg_node_merge (node, src, !force_add, &struct_error, ret_message))
            return struct_error ? APPLY_STRUCT : APPLY_OMEGACONF;
          return APPLY_OK;
        }
    }
  if (root->kind == CFG_DICT)
    {
      if (cfg_dict_get (root, last) == NULL && !force_add)
        {
          *ret_message = g_strdup_printf ("Key '%s' is not in struct", last);
          return APPLY_STRUCT;
        }
      cfg_dict_set (root, last, cfg_node_from_json (value));
      return APPLY_OK;
    }
  {
    CfgNode *item = cfg_node_from_json (value);

    item->parent = root;
    cfg_node_free (g_ptr_array_index (root->items, index));
    g_ptr_array_index (root->items, index) = item;
  }
  return APPLY_OK;
}

static ComposeProblem *
merge_error (const char *token, const char *cause)
{
  ComposeProblem *problem = compose_problem_new ("ConfigCompositionException", token,
                                                 "Error merging override %s", token);

  problem->cause = g_strdup (cause);
  return problem;
}

static ComposeProblem *
apply_status_problem (ApplyStatus status, const char *token, char *message)
{
  ComposeProblem *problem;

  switch (status)
    {
      case APPLY_TYPE_ERROR:
        problem = compose_problem_new ("TypeError", token, "%s", message);
        break;
      case APPLY_VALUE_ERROR:
        problem = compose_problem_new ("ValueError", token, "%s", message);
        break;
      case APPLY_OK:
      case APPLY_STRUCT:
      case APPLY_OMEGACONF:
      default:
        problem = merge_error (token, message);
        break;
    }
  g_free (message);
  return problem;
}

static ComposeProblem *
apply_delete (CfgNode *cfg, const char *token, CmdbHydraOverride *o)
{
  const CfgNode *found = NULL;
  g_autofree char *text = NULL;
  char *message = NULL;
  ApplyStatus status = select_value (cfg, o->key, &found, &text, &message);
  const char *dot;

  if (status != APPLY_OK)
    return apply_status_problem (status, token, message);
  if (found == NULL && text == NULL)
    {
      ComposeProblem *problem
          = compose_problem_new ("ConfigCompositionException", token,
                                 "Could not delete from config. '%s' does not exist.", o->key);

      problem->hint = g_strdup ("the key is absent, null or '\?\?\?' here: drop the override");
      return problem;
    }
  if (o->has_value && !JSON_NODE_HOLDS_NULL (o->value))
    {
      gboolean same;
      g_autofree char *shown = NULL;
      g_autoptr (CfgNode) wanted = cfg_node_from_json (o->value);
      g_autofree char *wanted_text = cfg_node_to_python_str (wanted);

      if (text != NULL)
        {
          g_autoptr (CfgNode) built = cfg_node_new_string (text);

          same = cfg_node_equals_json (built, o->value);
          shown = g_strdup (text);
        }
      else
        {
          same = cfg_node_equals_json (found, o->value);
          shown = cfg_node_to_python_str (found);
        }
      if (!same)
        {
          ComposeProblem *problem = compose_problem_new (
              "ConfigCompositionException", token,
              "Could not delete from config. The value of '%s' is %s and not %s.", o->key, shown,
              wanted_text);

          problem->hint = g_strdup_printf ("delete it whatever its value: ~%s", o->key);
          return problem;
        }
    }

  dot = strrchr (o->key, '.');
  if (dot == NULL)
    {
      cfg_dict_remove (cfg, o->key);
      return NULL;
    }
  {
    g_autofree char *parent_key = g_strndup (o->key, (gsize) (dot - o->key));
    const CfgNode *parent = NULL;
    g_autofree char *parent_text = NULL;

    status = select_value (cfg, parent_key, &parent, &parent_text, &message);
    if (status != APPLY_OK)
      return apply_status_problem (status, token, message);
    if (parent != NULL && parent->kind == CFG_LIST)
      return compose_problem_new ("TypeError", token,
                                  "list indices must be integers or slices, not str");
    if (parent != NULL && parent->kind == CFG_DICT)
      cfg_dict_remove ((CfgNode *) parent, dot + 1);
  }
  return NULL;
}

static ComposeProblem *
apply_override (CfgNode *cfg, const char *token, CmdbHydraOverride *o)
{
  char *message = NULL;
  ApplyStatus status;

  if (o->package != NULL)
    {
      ComposeProblem *problem = compose_problem_new (
          "ConfigCompositionException", token,
          "Override %s looks like a config group override, but config group '%s' does not "
          "exist.",
          token, o->key);

      problem->hint = g_strdup_printf ("there is no config group '%s'", o->key);
      return problem;
    }

  switch (o->type)
    {
      case CMDB_HYDRA_OVERRIDE_DELETE:
        return apply_delete (cfg, token, o);
      case CMDB_HYDRA_OVERRIDE_ADD:
        {
          const CfgNode *found = NULL;
          g_autofree char *text = NULL;

          status = select_value (cfg, o->key, &found, &text, &message);
          if (status != APPLY_OK)
            return apply_status_problem (status, token, message);
          if ((found != NULL || text != NULL) && !JSON_NODE_HOLDS_OBJECT (o->value)
              && !JSON_NODE_HOLDS_ARRAY (o->value))
            {
              ComposeProblem *problem
                  = compose_problem_new ("ConfigCompositionException", token,
                                         "Could not append to config. An item is already at '%s'.\n"
                                         "Either remove + prefix: '%s'\n"
                                         "Or add a second + to add or replace '%s': '+%s'",
                                         o->key, token + 1, o->key, token);

              problem->hint = g_strdup_printf ("the key exists: remove '+' (%s) or use '++' (+%s)",
                                               token + 1, token);
              return problem;
            }
          status = update_value (cfg, o->key, o->value, TRUE, &message);
          break;
        }
      case CMDB_HYDRA_OVERRIDE_FORCE_ADD:
        status = update_value (cfg, o->key, o->value, TRUE, &message);
        break;
      case CMDB_HYDRA_OVERRIDE_CHANGE:
      default:
        status = update_value (cfg, o->key, o->value, FALSE, &message);
        if (status == APPLY_STRUCT)
          {
            ComposeProblem *problem = compose_problem_new (
                "ConfigCompositionException", token,
                "Could not override '%s'.\nTo append to your config use +%s", o->key, token);

            problem->cause = message;
            problem->hint = missing_key_hint (cfg, o->key, token);
            return problem;
          }
        break;
    }
  if (status != APPLY_OK)
    return apply_status_problem (status, token, message);
  return NULL;
}

/* ---- the driver ---------------------------------------------------------- */

/* `a,b` is a simple choice sweep ("Ambiguous value"); choice(), range(),
 * interval(), glob() are sweeps that need --multirun. */
static gboolean
is_simple_choice (const char *token)
{
  const char *value = strchr (token, '=');

  if (value == NULL)
    return TRUE;
  value++;
  while (g_ascii_isspace (*value))
    value++;
  if (!(g_ascii_isalpha (*value) || *value == '_'))
    return TRUE;
  while (g_ascii_isalnum (*value) || *value == '_')
    value++;
  while (g_ascii_isspace (*value))
    value++;
  return *value != '(';
}

static ComposeProblem *
check_searchpath (ComposeRepo *repo, const char *config_name, GPtrArray *refs)
{
  g_autoptr (ComposeConfig) primary = compose_repo_load (repo, config_name);
  g_autoptr (CfgNode) value = NULL;
  gboolean valid = TRUE;

  for (guint i = 0; i < refs->len && value == NULL; i++)
    {
      ComposeOverrideRef *ref = g_ptr_array_index (refs, i);

      if (ref->override->type == CMDB_HYDRA_OVERRIDE_CHANGE && ref->override->package == NULL
          && strcmp (ref->override->key, "hydra.searchpath") == 0)
        value = cfg_node_from_json (ref->override->value);
    }
  if (value == NULL && primary != NULL)
    {
      CfgNode *hydra = cfg_dict_get (primary->body, "hydra");
      CfgNode *searchpath = cfg_dict_get (hydra, "searchpath");

      if (searchpath != NULL && !cfg_node_is_null (searchpath))
        value = cfg_node_copy (searchpath);
    }
  if (value == NULL || cfg_node_is_null (value))
    return NULL;
  if (value->kind != CFG_LIST)
    valid = FALSE;
  for (guint i = 0; valid && i < value->items->len; i++)
    if (cfg_node_get_string (g_ptr_array_index (value->items, i)) == NULL)
      valid = FALSE;
  if (!valid)
    {
      g_autofree char *shown = cfg_node_to_python_str (value);

      return compose_problem_new ("ConfigCompositionException", NULL,
                                  "hydra.searchpath must be a list of strings. Got: %s", shown);
    }
  return NULL;
}

static gboolean
compose_config (ComposeRepo *repo, ComposeDefaults *defaults, CfgNode **ret_cfg,
                ComposeProblem **ret_problem)
{
  g_autoptr (CfgNode) cfg = cfg_node_new_dict ();

  for (guint i = 0; i < defaults->results->len; i++)
    {
      ComposeResultDefault *rd = g_ptr_array_index (defaults->results, i);
      g_autoptr (ComposeConfig) loaded = compose_repo_load (repo, rd->config_path);
      g_autoptr (CfgNode) embedded = NULL;
      g_autofree char *message = NULL;

      if (loaded == NULL)
        continue;
      embedded = cfg_node_embed (cfg_node_copy (loaded->body), rd->package);
      if (!cfg_node_merge_take (cfg, embedded, &message))
        {
          *ret_problem = compose_problem_new ("ConfigTypeError", NULL, "%s (merging '%s')", message,
                                              rd->config_path);
          return FALSE;
        }
    }
  *ret_cfg = g_steal_pointer (&cfg);
  return TRUE;
}

static void
add_problem (CmdbComposeResult *result, ComposeProblem *problem)
{
  result->ok = FALSE;
  g_ptr_array_add (result->problems, problem);
}

CmdbComposeResult *
cmdb_compose (CmdbCache *cache, const char *config_dir, const char *config_name,
              const char *const *overrides)
{
  CmdbComposeResult *result = g_new0 (CmdbComposeResult, 1);
  ComposeRepo *repo = compose_repo_new (cache, config_dir);
  g_autoptr (GPtrArray) parsed
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_hydra_override_free);
  g_autoptr (GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);
  ComposeDefaults defaults = { 0 };
  ComposeProblem *problem = NULL;
  g_autoptr (CfgNode) cfg = NULL;

  result->ref_count = 1;
  result->config_name = g_strdup (config_name);
  result->ok = TRUE;
  result->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) compose_problem_free);
  result->resolve_problems = json_array_new ();

  for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++)
    {
      g_autoptr (GError) local_error = NULL;
      CmdbHydraOverride *o = cmdb_hydra_override_parse (overrides[i], &local_error);
      ComposeOverrideRef *ref;

      if (o == NULL)
        {
          problem = compose_problem_new ("OverrideParseException", overrides[i],
                                         "Error parsing override '%s'\n%s", overrides[i],
                                         local_error->message);
          problem->hint = g_strdup ("quote the value ('key=\"...\"') or fix the key");
          add_problem (result, problem);
          goto out;
        }
      g_ptr_array_add (parsed, o);
      ref = g_new0 (ComposeOverrideRef, 1);
      ref->token = overrides[i];
      ref->override = o;
      g_ptr_array_add (refs, ref);
    }

  problem = check_searchpath (repo, config_name, refs);
  if (problem != NULL)
    {
      add_problem (result, problem);
      goto out;
    }

  for (guint i = 0; i < refs->len; i++)
    {
      ComposeOverrideRef *ref = g_ptr_array_index (refs, i);

      if (ref->override->value_type != CMDB_HYDRA_VALUE_SWEEP)
        continue;
      if (is_simple_choice (ref->token))
        {
          problem = compose_problem_new (
              "ConfigCompositionException", ref->token,
              "Ambiguous value for argument '%s'\n"
              "1. To use it as a list, use key=[value1,value2]\n"
              "2. To use it as string, quote the value: key=\\'value1,value2\\'\n"
              "3. To sweep over it, add --multirun to your command line",
              ref->token);
          problem->hint = g_strdup ("a comma makes a sweep: write a list ([a,b]) or quote the "
                                    "value");
        }
      else
        {
          problem = compose_problem_new ("ConfigCompositionException", ref->token,
                                         "Sweep parameters '%s' requires --multirun", ref->token);
          problem->hint = g_strdup ("sweeps run with --multirun (-m)");
        }
      add_problem (result, problem);
      goto out;
    }

  if (!compose_defaults_build (repo, config_name, refs, &defaults, &problem))
    {
      add_problem (result, problem);
      goto out;
    }
  if (!compose_config (repo, &defaults, &cfg, &problem))
    {
      add_problem (result, problem);
      goto out;
    }
  for (guint i = 0; i < defaults.config_overrides->len; i++)
    {
      ComposeOverrideRef *ref = g_ptr_array_index (defaults.config_overrides, i);

      problem = apply_override (cfg, ref->token, ref->override);
      if (problem != NULL)
        {
          add_problem (result, problem);
          goto out;
        }
    }

  /* compose() drops the hydra node; the app never sees it. */
  cfg_dict_remove (cfg, "hydra");
  result->keys = cfg_node_leaf_keys (cfg);
  result->choices = json_object_ref (defaults.choices);
  cfg_resolve_all (cfg, result->resolve_problems);

out:
  compose_defaults_clear (&defaults);
  compose_repo_free (repo);
  return result;
}

void
cmdb_compose_result_free (CmdbComposeResult *result)
{
  if (result == NULL || !g_atomic_int_dec_and_test (&result->ref_count))
    return;
  g_free (result->signature);
  g_free (result->config_name);
  g_ptr_array_unref (result->problems);
  if (result->keys != NULL)
    g_ptr_array_unref (result->keys);
  if (result->choices != NULL)
    json_object_unref (result->choices);
  json_array_unref (result->resolve_problems);
  g_free (result);
}

CmdbComposeResult *
compose_result_ref (CmdbComposeResult *result)
{
  g_atomic_int_inc (&result->ref_count);
  return result;
}

const char *
compose_result_get_signature (const CmdbComposeResult *result)
{
  return result->signature;
}

void
compose_result_set_signature (CmdbComposeResult *result, const char *signature)
{
  g_free (result->signature);
  result->signature = g_strdup (signature);
}

gboolean
cmdb_compose_result_get_ok (const CmdbComposeResult *result)
{
  return result->ok;
}

gboolean
cmdb_compose_result_get_resolve_ok (const CmdbComposeResult *result)
{
  return result->ok && json_array_get_length (result->resolve_problems) == 0;
}

static const ComposeProblem *
first_problem (const CmdbComposeResult *result)
{
  return result->problems->len > 0 ? g_ptr_array_index (result->problems, 0) : NULL;
}

const char *
cmdb_compose_result_get_error_class (const CmdbComposeResult *result)
{
  const ComposeProblem *problem = first_problem (result);

  return problem != NULL ? problem->error_class : NULL;
}

const char *
cmdb_compose_result_get_message (const CmdbComposeResult *result)
{
  const ComposeProblem *problem = first_problem (result);

  return problem != NULL ? problem->message : NULL;
}

const char *
cmdb_compose_result_get_override (const CmdbComposeResult *result)
{
  const ComposeProblem *problem = first_problem (result);

  return problem != NULL ? problem->override : NULL;
}

const char *
cmdb_compose_result_get_hint (const CmdbComposeResult *result)
{
  const ComposeProblem *problem = first_problem (result);

  return problem != NULL ? problem->hint : NULL;
}

const GPtrArray *
cmdb_compose_result_get_keys (const CmdbComposeResult *result)
{
  return result->keys;
}

static void
set_nullable_string (JsonObject *object, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

JsonNode *
cmdb_compose_result_to_json (const CmdbComposeResult *result)
{
  JsonObject *object = json_object_new ();
  JsonArray *problems = json_array_new ();
  JsonObject *resolve = json_object_new ();
  JsonNode *node;

  json_object_set_boolean_member (object, "ok", result->ok);
  json_object_set_string_member (object, "config", result->config_name);
  for (guint i = 0; i < result->problems->len; i++)
    {
      const ComposeProblem *problem = g_ptr_array_index (result->problems, i);
      JsonObject *item = json_object_new ();

      set_nullable_string (item, "override", problem->override);
      json_object_set_string_member (item, "message", problem->message);
      set_nullable_string (item, "hint", problem->hint);
      json_object_set_string_member (item, "error_class", problem->error_class);
      if (problem->cause != NULL)
        json_object_set_string_member (item, "cause", problem->cause);
      json_array_add_object_element (problems, item);
    }
  json_object_set_array_member (object, "problems", problems);
  json_object_set_boolean_member (resolve, "ok", cmdb_compose_result_get_resolve_ok (result));
  json_object_set_array_member (resolve, "problems", json_array_ref (result->resolve_problems));
  json_object_set_object_member (object, "resolve", resolve);
  if (result->choices != NULL)
    json_object_set_object_member (object, "choices", json_object_ref (result->choices));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}
