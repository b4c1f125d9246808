#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose-defaults.c: the defaults tree, built as Hydra 1.3 builds it.
 *
 * A virtual root holds `hydra/config` and the primary config. Each config's
 * defaults list is expanded depth first, its entries visited LAST TO FIRST:
 * that is how an entry further down (an experiment's `override /db: x`)
 * can change one above it. Command-line group choices replace the value of
 * the entry with the same override key (`group` or `group@package`),
 * `+group=opt` entries are appended to the primary's list, `~group`
 * removes an entry. Interpolated entries (`model: net_${dataset}`) wait
 * until their siblings are known. The tree is then flattened (depth first,
 * first to last) into the list of configs to merge, each at its package.
 * Messages are Hydra's own.
 */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

typedef enum
{
  VAL_NULL,
  VAL_NAME,
  VAL_OPTIONS,
} ValueKind;

typedef struct
{
  gboolean is_group;
  gboolean is_virtual;
  gboolean primary;
  char *path;  /* config entries */
  char *group; /* group entries */
  ValueKind value_kind;
  char *name;         /* VAL_NAME */
  GPtrArray *options; /* VAL_OPTIONS: JsonNode items (strings, or others: an error) */
  char *package;      /* (nullable) */
  gboolean optional;
  gboolean override;
  gboolean external_append;
  gboolean deleted;
  char *parent_base_dir; /* (nullable) until placed */
  char *parent_package;
  char *package_header;
} Default;

typedef struct _TreeNode TreeNode;
struct _TreeNode
{
  Default *node;
  TreeNode *parent;
  GPtrArray *children; /* (nullable): TreeNode, NULL for a leaf */
};

typedef struct
{
  ValueKind kind;
  char *name;
  GPtrArray *options;
  gboolean external;
  char *containing_path; /* (nullable) */
  gboolean used;
} Choice;

typedef struct
{
  char *name; /* (nullable) */
  gboolean used;
} Deletion;

typedef struct
{
  ComposeRepo *repo;
  GPtrArray *defaults_arena; /* owns every Default */
  GPtrArray *nodes_arena;    /* owns every TreeNode */
  GPtrArray *choice_keys;
  GHashTable *choices; /* key -> Choice */
  GPtrArray *append;   /* Default */
  GPtrArray *deletion_keys;
  GHashTable *deletions;    /* key -> Deletion */
  GPtrArray *known_keys;    /* insertion order */
  GHashTable *known;        /* key -> name (nullable) */
  GHashTable *known_groups; /* group path -> GPtrArray of keys */
  ComposeProblem *problem;
  GPtrArray *overrides; /* (unowned) ComposeOverrideRef: the command line */
} Builder;

/* ---- Default ------------------------------------------------------------- */

static void
default_free (Default *d)
{
  g_free (d->path);
  g_free (d->group);
  g_free (d->name);
  if (d->options != NULL)
    g_ptr_array_unref (d->options);
  g_free (d->package);
  g_free (d->parent_base_dir);
  g_free (d->parent_package);
  g_free (d->package_header);
  g_free (d);
}

static void
tree_node_free (TreeNode *t)
{
  if (t->children != NULL)
    g_ptr_array_unref (t->children);
  g_free (t);
}

static Default *
new_default (Builder *b)
{
  Default *d = g_new0 (Default, 1);

  g_ptr_array_add (b->defaults_arena, d);
  return d;
}

static TreeNode *
new_tree_node (Builder *b, Default *node, TreeNode *parent)
{
  TreeNode *t = g_new0 (TreeNode, 1);

  t->node = node;
  t->parent = parent;
  g_ptr_array_add (b->nodes_arena, t);
  return t;
}

static gboolean
is_self (const Default *d)
{
  return !d->is_group && !d->is_virtual && g_strcmp0 (d->path, "_self_") == 0;
}

static const char *
default_name (const Default *d)
{
  const char *slash;

  if (d->is_group)
    return d->value_kind == VAL_NAME ? d->name : NULL;
  slash = strrchr (d->path, '/');
  return slash != NULL ? slash + 1 : d->path;
}

static char *
group_path (const Default *d)
{
  const char *pbd = d->parent_base_dir != NULL ? d->parent_base_dir : "";

  if (d->is_group)
    {
      if (d->group[0] == '/')
        return g_strdup (d->group + 1);
      if (pbd[0] == '\0')
        return g_strdup (d->group);
      return g_strconcat (pbd, "/", d->group, NULL);
    }
  else
    {
      gboolean absolute = d->path[0] == '/';
      const char *path = absolute ? d->path + 1 : d->path;
      const char *slash = strrchr (path, '/');
      g_autofree char *group
          = slash != NULL ? g_strndup (path, (gsize) (slash - path)) : g_strdup ("");

      if (absolute || pbd[0] == '\0')
        return g_steal_pointer (&group);
      if (group[0] == '\0')
        return g_strdup (pbd);
      return g_strconcat (pbd, "/", group, NULL);
    }
}

static char *
config_path (const Default *d)
{
  g_autofree char *group = group_path (d);
  const char *name = default_name (d);

  if (d->is_group)
    return g_strconcat (group, "/", name != NULL ? name : "None", NULL);
  if (group[0] != '\0')
    return g_strconcat (group, "/", name, NULL);
  return g_strdup (name);
}

static char *
relative_group_path (const Default *d)
{
  const char *path;
  const char *slash;

  if (d->is_group)
    return g_strdup (d->group[0] == '/' ? d->group + 1 : d->group);
  path = d->path[0] == '/' ? d->path + 1 : d->path;
  slash = strrchr (path, '/');
  return slash != NULL ? g_strndup (path, (gsize) (slash - path)) : g_strdup ("");
}

static char *
final_package (const Default *d, gboolean default_to_header)
{
  const char *parent = d->parent_package != NULL ? d->parent_package : "";
  g_autofree char *package = NULL;
  char *ret;
  const char *name = default_name (d);
  const char *global;

  if (d->package == NULL && default_to_header && d->package_header != NULL)
    package = g_strdup (d->package_header);
  else if (d->package != NULL)
    package = g_strdup (d->package);
  else
    {
      package = relative_group_path (d);
      g_strdelimit (package, "/", '.');
    }
  if (name != NULL && strstr (package, "_name_") != NULL)
    {
      g_autoptr (GString) replaced = g_string_new (package);

      g_string_replace (replaced, "_name_", name, 0);
      g_free (package);
      package = g_strdup (replaced->str);
    }
  if (parent[0] == '\0')
    ret = g_strdup (package);
  else if (package[0] == '\0')
    ret = g_strdup (parent);
  else
    ret = g_strconcat (parent, ".", package, NULL);

  global = g_strrstr (ret, "_global_");
  if (global == NULL)
    return ret;
  {
    gsize offset = (gsize) (global - ret) + strlen ("_global_") + 1;
    char *tail = g_strdup (offset < strlen (ret) ? ret + offset : "");

    g_free (ret);
    return tail;
  }
}

static char *
override_key (const Default *d)
{
  g_autofree char *group = group_path (d);
  g_autofree char *default_package = g_strdup (group);
  g_autofree char *final = final_package (d, FALSE);

  g_strdelimit (default_package, "/", '.');
  if (strcmp (default_package, final) != 0 && final[0] != '\0')
    return g_strconcat (group, "@", final, NULL);
  return g_steal_pointer (&group);
}

static gboolean
is_interpolation (const Default *d)
{
  if (d->is_group)
    return d->value_kind == VAL_NAME && strstr (d->name, "${") != NULL;
  return d->path != NULL && strstr (d->path, "${") != NULL;
}

static gboolean
is_missing (const Default *d)
{
  const char *name = default_name (d);

  return name != NULL && strcmp (name, "???") == 0;
}

static void
update_parent (Default *d, const char *base_dir, const char *package)
{
  g_free (d->parent_base_dir);
  g_free (d->parent_package);
  d->parent_base_dir = g_strdup (base_dir);
  d->parent_package = g_strdup (package);
}

static void
set_value_from_json (Default *d, JsonNode *value)
{
  g_clear_pointer (&d->name, g_free);
  g_clear_pointer (&d->options, g_ptr_array_unref);
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);

      d->value_kind = VAL_OPTIONS;
      d->options = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (d->options, json_node_copy (json_array_get_element (array, i)));
    }
  else if (JSON_NODE_HOLDS_NULL (value))
    d->value_kind = VAL_NULL;
  else
    {
      d->value_kind = VAL_NAME;
      d->name = g_strdup (json_node_get_string (value));
    }
}

static void
copy_choice_value (Default *d, const Choice *choice)
{
  g_clear_pointer (&d->name, g_free);
  g_clear_pointer (&d->options, g_ptr_array_unref);
  d->value_kind = choice->kind;
  d->name = g_strdup (choice->name);
  if (choice->options != NULL)
    d->options = g_ptr_array_ref (choice->options);
}

/* ---- problems ------------------------------------------------------------ */

static gboolean
fail (Builder *b, ComposeProblem *problem)
{
  if (b->problem == NULL)
    b->problem = problem;
  else
    compose_problem_free (problem);
  return FALSE;
}

static char *
join_options (GPtrArray *names, const char *separator)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append (out, separator);
      g_string_append (out, g_ptr_array_index (names, i));
    }
  return g_strdup (out->str);
}

/* The command-line token that chose @key (`g=opt`, `+g=opt`), if any. */
static const char *
token_choosing (Builder *b, const char *key)
{
  const char *token = NULL;

  for (guint i = 0; b->overrides != NULL && i < b->overrides->len; i++)
    {
      ComposeOverrideRef *ref = g_ptr_array_index (b->overrides, i);
      CmdbHydraOverride *o = ref->override;
      g_autofree char *ref_key
          = o->package != NULL ? g_strconcat (o->key, "@", o->package, NULL) : g_strdup (o->key);

      if ((o->type == CMDB_HYDRA_OVERRIDE_CHANGE || o->type == CMDB_HYDRA_OVERRIDE_ADD)
          && strcmp (ref_key, key) == 0)
        token = ref->token; /* the last one counts, as in Hydra */
    }
  return token;
}

static gboolean
config_not_found (Builder *b, TreeNode *tree)
{
  Default *element = tree->node;
  g_autofree char *path = config_path (element);
  ComposeProblem *problem;

  if (element->primary)
    {
      problem = compose_problem_new ("MissingConfigException", NULL,
                                     "Cannot find primary config '%s'. Check that it's in your "
                                     "config search path.",
                                     path);
      return fail (b, problem);
    }
  {
    g_autoptr (GString) message = g_string_new (NULL);
    g_autofree char *group = element->is_group ? group_path (element) : NULL;
    g_autoptr (GPtrArray) options
        = group != NULL ? compose_repo_group_options (b->repo, group) : NULL;

    if (tree->parent != NULL && !tree->parent->node->is_virtual)
      {
        g_autofree char *parent = config_path (tree->parent->node);

        g_string_append_printf (message, "In '%s': ", parent);
      }
    if (element->is_group)
      {
        g_string_append_printf (message, "Could not find '%s'\n", path);
        if (options != NULL && options->len > 0)
          {
            g_string_append_printf (message, "\nAvailable options in '%s':", group);
            for (guint i = 0; i < options->len; i++)
              g_string_append_printf (message, "\n\t%s", (char *) g_ptr_array_index (options, i));
          }
      }
    else
      g_string_append_printf (message, "Could not load '%s'.\n", path);
    problem = compose_problem_new ("MissingConfigException", NULL, "%s", message->str);
    if (element->is_group)
      {
        g_autofree char *key = override_key (element);

        problem->override = g_strdup (token_choosing (b, key));
      }
    else if (element->path != NULL && strchr (element->path, '/') != NULL)
      {
        /* An item of `g=[a,b]`: the group's token. */
        g_autofree char *item_group = g_path_get_dirname (element->path);

        problem->override = g_strdup (token_choosing (b, item_group));
      }
    if (options != NULL && options->len > 0)
      {
        g_autofree char *list = join_options (options, ", ");

        problem->hint = g_strdup_printf ("options of %s: %s", group, list);
      }
    return fail (b, problem);
  }
}

/* ---- the overrides state ------------------------------------------------- */

static void
choice_free (Choice *choice)
{
  g_free (choice->name);
  if (choice->options != NULL)
    g_ptr_array_unref (choice->options);
  g_free (choice->containing_path);
  g_free (choice);
}

static void
deletion_free (Deletion *deletion)
{
  g_free (deletion->name);
  g_free (deletion);
}

static void
add_override (Builder *b, const char *parent_config_path, Default *d)
{
  g_autofree char *key = override_key (d);
  Choice *choice;

  if (g_hash_table_contains (b->choices, key))
    return;
  choice = g_new0 (Choice, 1);
  choice->kind = d->value_kind;
  choice->name = g_strdup (d->name);
  if (d->options != NULL)
    choice->options = g_ptr_array_ref (d->options);
  choice->containing_path = g_strdup (parent_config_path);
  g_ptr_array_add (b->choice_keys, g_strdup (key));
  g_hash_table_insert (b->choices, g_steal_pointer (&key), choice);
}

static gboolean
set_known_choice (Builder *b, Default *d)
{
  g_autofree char *key = NULL;
  g_autofree char *group = NULL;
  GPtrArray *keys;
  const char *name = default_name (d);
  gpointer prev;

  if (!d->is_group)
    return TRUE;
  key = override_key (d);
  if (!g_hash_table_lookup_extended (b->known, key, NULL, &prev))
    {
      g_ptr_array_add (b->known_keys, g_strdup (key));
      g_hash_table_insert (b->known, g_strdup (key), g_strdup (name));
    }
  else if (g_strcmp0 (prev, name) != 0)
    {
      ComposeProblem *problem = compose_problem_new (
          "ConfigCompositionException", NULL,
          "Multiple values for %s. To override a value use 'override %s: %s'", key, key,
          prev != NULL ? (char *) prev : "None");

      problem->hint = g_strdup_printf ("choose it without '+': %s=%s", key,
                                       prev != NULL ? (char *) prev : "null");
      problem->override = g_strdup (token_choosing (b, key));
      return fail (b, problem);
    }
  group = group_path (d);
  keys = g_hash_table_lookup (b->known_groups, group);
  if (keys == NULL)
    {
      keys = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (b->known_groups, g_strdup (group), keys);
    }
  if (!g_ptr_array_find_with_equal_func (keys, key, g_str_equal, NULL))
    g_ptr_array_add (keys, g_strdup (key));
  return TRUE;
}

static gboolean
is_deleted (Builder *b, Default *d)
{
  g_autofree char *key = NULL;
  Deletion *deletion;

  if (!d->is_group)
    return FALSE;
  key = override_key (d);
  deletion = g_hash_table_lookup (b->deletions, key);
  if (deletion == NULL)
    return FALSE;
  if (deletion->name == NULL)
    return TRUE;
  return g_strcmp0 (deletion->name, default_name (d)) == 0;
}

static void
mark_deleted (Builder *b, Default *d)
{
  g_autofree char *key = override_key (d);
  Deletion *deletion = g_hash_table_lookup (b->deletions, key);

  d->deleted = TRUE;
  deletion->used = TRUE;
}

/* ---- reading defaults lists ---------------------------------------------- */

static char *
python_type_name (JsonNode *value)
{
  if (JSON_NODE_HOLDS_NULL (value))
    return g_strdup ("NoneType");
  if (JSON_NODE_HOLDS_ARRAY (value))
    return g_strdup ("list");
  if (JSON_NODE_HOLDS_OBJECT (value))
    return g_strdup ("dict");
  switch (json_node_get_value_type (value))
    {
      case G_TYPE_INT64:
        return g_strdup ("int");
      case G_TYPE_DOUBLE:
        return g_strdup ("float");
      case G_TYPE_BOOLEAN:
        return g_strdup ("bool");
      default:
        return g_strdup ("str");
    }
}

static void
split_package (const char *text, char **ret_path, char **ret_package)
{
  const char *at = strchr (text, '@');

  if (at == NULL)
    {
      *ret_path = g_strdup (text);
      *ret_package = NULL;
      return;
    }
  *ret_path = g_strndup (text, (gsize) (at - text));
  *ret_package = g_strdup (at + 1);
  if (strcmp (*ret_package, "_here_") == 0)
    {
      g_free (*ret_package);
      *ret_package = g_strdup ("");
    }
}

/* Reads @config's defaults list into new Defaults (a fresh copy each time,
 * as Hydra deep-copies it). */
static gboolean
read_defaults_list (Builder *b, const ComposeConfig *config, const char *path, GPtrArray *out)
{
  const CmdbYamlNode *list = config->defaults;

  if (list == NULL)
    return TRUE;
  if (cmdb_yaml_node_get_kind (list) != CMDB_YAML_NODE_SEQUENCE)
    return fail (b,
                 compose_problem_new (
                     "ValueError", NULL,
                     "Invalid defaults list in '%s', defaults must be a list (got %s)", path,
                     cmdb_yaml_node_get_kind (list) == CMDB_YAML_NODE_MAPPING ? "mapping" : "str"));
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (list); i++)
    {
      const CmdbYamlNode *item = cmdb_yaml_node_get_item (list, i);
      Default *d = new_default (b);

      if (cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_SCALAR)
        {
          split_package (cmdb_yaml_node_get_scalar (item), &d->path, &d->package);
          g_ptr_array_add (out, d);
          continue;
        }
      if (cmdb_yaml_node_get_kind (item) != CMDB_YAML_NODE_MAPPING
          || cmdb_yaml_node_get_n_children (item) != 1)
        {
          g_autofree char *location = cmdb_yaml_node_dup_location (item);

          return fail (b, compose_problem_new ("ValueError", NULL,
                                               "In %s: Unsupported item in defaults (%s)", path,
                                               location));
        }
      {
        const char *key = cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (item, 0));
        const CmdbYamlNode *value = cmdb_yaml_node_get_value_node (item, 0);
        g_auto (GStrv) words = g_strsplit_set (key, " \t", -1);
        const char *group_text = NULL;

        d->is_group = TRUE;
        for (guint k = 0; words[k] != NULL; k++)
          {
            if (words[k][0] == '\0')
              continue;
            if (group_text != NULL)
              {
                if (strcmp (group_text, "optional") == 0)
                  d->optional = TRUE;
                else if (strcmp (group_text, "override") == 0)
                  d->override = TRUE;
                else
                  return fail (b,
                               compose_problem_new ("ValueError", NULL,
                                                    "Invalid keyword '%s' in defaults list of '%s'",
                                                    group_text, path));
              }
            group_text = words[k];
          }
        split_package (group_text != NULL ? group_text : "", &d->group, &d->package);
        if (value == NULL || cmdb_yaml_node_is_null (value))
          d->value_kind = VAL_NULL;
        else if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SEQUENCE)
          {
            d->value_kind = VAL_OPTIONS;
            d->options = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
            for (guint k = 0; k < cmdb_yaml_node_get_n_children (value); k++)
              g_ptr_array_add (d->options,
                               cmdb_yaml_node_to_json (cmdb_yaml_node_get_item (value, k)));
          }
        else if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR
                 && (cmdb_yaml_node_get_scalar_type (value) == CMDB_YAML_SCALAR_STRING
                     || cmdb_yaml_node_get_scalar_style (value) == CMDB_YAML_SCALAR_QUOTED))
          {
            d->value_kind = VAL_NAME;
            d->name = g_strdup (cmdb_yaml_node_get_scalar (value));
          }
        else
          {
            g_autoptr (JsonNode) json = cmdb_yaml_node_to_json (value);
            g_autofree char *type = python_type_name (json);

            return fail (b, compose_problem_new ("ValueError", NULL,
                                                 "Unsupported item value in defaults : %s. "
                                                 "Supported: string or list",
                                                 type));
          }
        g_ptr_array_add (out, d);
      }
    }
  return TRUE;
}

/* ---- building the tree --------------------------------------------------- */

static gboolean
validate_self (Builder *b, Default *containing, GPtrArray *defaults, gboolean *ret_added)
{
  gboolean has_self = FALSE;
  gboolean has_non_override = FALSE;

  for (guint i = 0; i < defaults->len; i++)
    {
      Default *d = g_ptr_array_index (defaults, i);

      if (!d->override)
        has_non_override = TRUE;
      if (is_self (d))
        {
          if (has_self)
            {
              g_autofree char *path = config_path (containing);

              return fail (b, compose_problem_new ("ConfigCompositionException", NULL,
                                                   "Duplicate _self_ defined in %s", path));
            }
          has_self = TRUE;
        }
    }
  if ((!has_self && has_non_override) || defaults->len == 0)
    {
      Default *self = new_default (b);

      self->path = g_strdup ("_self_");
      g_ptr_array_add (defaults, self);
    }
  *ret_added = !has_self;
  return TRUE;
}

static gboolean
update_overrides (Builder *b, GPtrArray *defaults, Default *parent, gboolean interpolated)
{
  gboolean seen_override = FALSE;
  Default *last_override = NULL;
  g_autofree char *parent_path = config_path (parent);
  g_autofree char *parent_group = group_path (parent);
  g_autofree char *parent_package = final_package (parent, TRUE);

  for (guint i = 0; i < defaults->len; i++)
    {
      Default *d = g_ptr_array_index (defaults, i);

      if (is_self (d))
        continue;
      update_parent (d, parent_group, parent_package);
      if (seen_override && !(d->override || d->external_append))
        {
          g_autofree char *okey = override_key (last_override);
          g_autofree char *dkey = d->is_group ? override_key (d) : g_strdup (d->path);

          return fail (
              b, compose_problem_new ("ConfigCompositionException", NULL,
                                      "In %s: Override '%s : %s' is defined before '%s: %s'.\n"
                                      "Overrides must be at the end of the defaults list",
                                      parent_path, okey, default_name (last_override), dkey,
                                      default_name (d) != NULL ? default_name (d) : "None"));
        }
      if (d->is_group && d->override)
        {
          seen_override = TRUE;
          last_override = d;
          if (interpolated)
            {
              g_autofree char *okey = override_key (d);

              return fail (b, compose_problem_new (
                                  "ConfigCompositionException", NULL,
                                  "%s: Default List Overrides are not allowed in the subtree\n"
                                  "of an in interpolated config group (override %s=%s).",
                                  parent_path, okey, default_name (d)));
            }
          add_override (b, parent_path, d);
        }
    }
  return TRUE;
}

static void
reverse_array (GPtrArray *array)
{
  for (guint i = 0, j = array->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = array->pdata[i];

      array->pdata[i] = array->pdata[j - 1];
      array->pdata[j - 1] = tmp;
    }
}

static gboolean create_tree (Builder *b, TreeNode *root, gboolean is_root_config,
                             gboolean interpolated);

static gboolean
add_child (Builder *b, GPtrArray *children, TreeNode *new_root, gboolean interpolated)
{
  if (!create_tree (b, new_root, FALSE, interpolated))
    return FALSE;
  g_ptr_array_add (children, new_root);
  return TRUE;
}

/* Resolves `net_${dataset}` against the group choices known so far. */
static gboolean
resolve_default_interpolation (Builder *b, Default *d)
{
  const char *text = d->is_group ? d->name : d->path;
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *start = strstr (p, "${");
      const char *end;
      g_autofree char *key = NULL;
      gpointer value = NULL;

      if (start == NULL)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, start - p);
      end = strchr (start, '}');
      if (end != NULL)
        key = g_strstrip (g_strndup (start + 2, (gsize) (end - start - 2)));
      if (end == NULL || !g_hash_table_lookup_extended (b->known, key, NULL, &value)
          || value == NULL)
        {
          g_autoptr (GPtrArray) keys = g_ptr_array_new ();
          ComposeProblem *problem;

          for (guint i = 0; i < b->known_keys->len; i++)
            g_ptr_array_add (keys, g_ptr_array_index (b->known_keys, i));
          if (keys->len > 0)
            {
              g_autofree char *list = join_options (keys, ", ");

              problem = compose_problem_new (
                  "ConfigCompositionException", NULL,
                  "Error resolving interpolation '%s', possible interpolation keys: %s", text,
                  list);
            }
          else
            problem = compose_problem_new ("ConfigCompositionException", NULL,
                                           "Error resolving interpolation '%s'", text);
          problem->hint = g_strdup ("an interpolation in a defaults list sees only the group "
                                    "choices, not config values");
          return fail (b, problem);
        }
      g_string_append (out, value);
      p = end + 1;
    }
  if (d->is_group)
    {
      g_free (d->name);
      d->name = g_strdup (out->str);
    }
  else
    {
      g_free (d->path);
      d->path = g_strdup (out->str);
    }
  return TRUE;
}

static gboolean
check_not_missing (Builder *b, Default *d)
{
  g_autofree char *group = NULL;
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GString) message = NULL;
  ComposeProblem *problem;

  if (!is_missing (d))
    return TRUE;
  if (!d->is_group)
    {
      g_autofree char *path = config_path (d);

      return fail (b, compose_problem_new ("ConfigCompositionException", NULL,
                                           "You must specify '%s'", path));
    }
  group = group_path (d);
  options = compose_repo_group_options (b->repo, group);
  message = g_string_new (NULL);
  g_string_append_printf (
      message, "You must specify '%s', e.g, %s=<OPTION>\nAvailable options:", group, group);
  for (guint i = 0; i < options->len; i++)
    g_string_append_printf (message, "\n\t%s", (char *) g_ptr_array_index (options, i));
  problem = compose_problem_new ("ConfigCompositionException", NULL, "%s", message->str);
  if (options->len > 0)
    {
      g_autofree char *list = join_options (options, ", ");

      problem->hint = g_strdup_printf ("options of %s: %s", group, list);
    }
  return fail (b, problem);
}

static gboolean
expand_virtual_root (Builder *b, TreeNode *root)
{
  GPtrArray *children = g_ptr_array_new ();
  GPtrArray *input = root->children;

  for (int i = (int) input->len - 1; i >= 0; i--)
    {
      TreeNode *child = g_ptr_array_index (input, i);

      update_parent (child->node, "", "");
      if (!create_tree (b, child, child->node->primary, FALSE))
        {
          g_ptr_array_unref (children);
          return FALSE;
        }
      g_ptr_array_add (children, child);
    }
  reverse_array (children);
  g_ptr_array_unref (root->children);
  root->children = children;
  return TRUE;
}

static gboolean
create_tree (Builder *b, TreeNode *root, gboolean is_root_config, gboolean interpolated)
{
  Default *parent = root->node;
  g_autoptr (GPtrArray) children = g_ptr_array_new ();
  g_autoptr (GPtrArray) defaults = g_ptr_array_new ();
  g_autoptr (ComposeConfig) loaded = NULL;
  g_autofree char *path = NULL;
  g_autofree char *parent_group = NULL;
  g_autofree char *parent_package = NULL;
  gboolean self_added = FALSE;

  if (parent->is_virtual)
    return is_root_config ? expand_virtual_root (b, root) : TRUE;

  path = config_path (parent);
  if (is_root_config && !compose_repo_config_exists (b->repo, path))
    return config_not_found (b, root);

  if (!is_missing (parent))
    {
      g_autoptr (ComposeConfig) header = compose_repo_load (b->repo, path);

      if (header != NULL && header->package_header != NULL)
        {
          const char *value = header->package_header;

          /* A package header is always absolute. */
          g_free (parent->package_header);
          if (strcmp (value, "_global_") == 0 || g_str_has_prefix (value, "_global_."))
            parent->package_header = g_strdup (value);
          else if (value[0] == '\0')
            parent->package_header = g_strdup ("_global_");
          else
            parent->package_header = g_strconcat ("_global_.", value, NULL);
        }
    }

  if (is_deleted (b, parent))
    {
      mark_deleted (b, parent);
      return TRUE;
    }
  if (!set_known_choice (b, parent))
    return FALSE;
  if (default_name (parent) == NULL)
    return TRUE;
  if (!check_not_missing (b, parent))
    return FALSE;

  loaded = compose_repo_load (b->repo, path);
  if (loaded == NULL)
    {
      if (parent->optional)
        {
          parent->deleted = TRUE;
          return TRUE;
        }
      return config_not_found (b, root);
    }
  if (loaded->error != NULL)
    return fail (b, compose_problem_new ("ConfigCompositionException", NULL, "%s", loaded->error));

  if (!read_defaults_list (b, loaded, path, defaults))
    return FALSE;
  if (defaults->len > 0 || (is_root_config && b->append->len > 0))
    if (!validate_self (b, parent, defaults, &self_added))
      return FALSE;
  if (is_root_config)
    for (guint i = 0; i < b->append->len; i++)
      g_ptr_array_add (defaults, g_ptr_array_index (b->append, i));

  if (!update_overrides (b, defaults, parent, interpolated))
    return FALSE;

  parent_group = group_path (parent);
  parent_package = final_package (parent, TRUE);
  for (int i = (int) defaults->len - 1; i >= 0; i--)
    {
      Default *d = g_ptr_array_index (defaults, i);

      if (is_self (d))
        {
          update_parent (d, parent->parent_base_dir != NULL ? parent->parent_base_dir : "",
                         parent->package != NULL
                             ? parent->package
                             : (parent->package_header != NULL ? parent->package_header : ""));
          g_ptr_array_add (children, new_tree_node (b, d, root));
          continue;
        }
      if (d->override)
        continue;
      update_parent (d, parent_group, parent_package);
      if (d->is_group)
        {
          g_autofree char *key = override_key (d);
          Choice *choice = g_hash_table_lookup (b->choices, key);

          if (choice != NULL)
            {
              copy_choice_value (d, choice);
              choice->used = TRUE;
            }
        }
      if (d->is_group && d->value_kind == VAL_OPTIONS)
        {
          for (int k = (int) d->options->len - 1; k >= 0; k--)
            {
              JsonNode *item = g_ptr_array_index (d->options, k);
              Default *node;

              if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
                {
                  g_autofree char *type = python_type_name (item);

                  return fail (b,
                               compose_problem_new ("TypeError", NULL,
                                                    "argument of type '%s' is not iterable", type));
                }
              if (strstr (json_node_get_string (item), "${") != NULL)
                return fail (b, compose_problem_new (
                                    "ConfigCompositionException", NULL,
                                    "In '%s': Defaults List interpolation is not supported in "
                                    "options list items",
                                    path));
              node = new_default (b);
              node->path = g_strconcat (d->group, "/", json_node_get_string (item), NULL);
              node->package = g_strdup (d->package);
              node->optional = d->optional;
              update_parent (node, parent_group, parent_package);
              if (!add_child (b, children, new_tree_node (b, node, root), interpolated))
                return FALSE;
            }
        }
      else
        {
          if (is_interpolation (d))
            {
              g_ptr_array_add (children, new_tree_node (b, d, root));
              continue;
            }
          if (!add_child (b, children, new_tree_node (b, d, root), interpolated))
            return FALSE;
        }
    }

  /* Deferred: interpolated entries, now that their siblings' choices are known. */
  for (guint i = 0; i < children->len; i++)
    {
      TreeNode *child = g_ptr_array_index (children, i);

      if (child->children == NULL && !is_self (child->node) && is_interpolation (child->node))
        {
          if (!resolve_default_interpolation (b, child->node))
            return FALSE;
          update_parent (child->node, parent_group, parent_package);
          if (!create_tree (b, child, FALSE, TRUE))
            return FALSE;
        }
    }
  (void) self_added;

  if (children->len > 0)
    {
      reverse_array (children);
      root->children = g_ptr_array_ref (children);
    }
  return TRUE;
}

/* ---- flattening ---------------------------------------------------------- */

static void
result_default_free (ComposeResultDefault *rd)
{
  g_free (rd->config_path);
  g_free (rd->package);
  g_free (rd->override_key);
  g_free (rd);
}

static void
collect (Builder *b, TreeNode *tree, Default *node, GPtrArray *out)
{
  ComposeResultDefault *rd;

  (void) b;
  if (node->deleted || is_missing (node) || node->is_virtual || default_name (node) == NULL)
    return;
  rd = g_new0 (ComposeResultDefault, 1);
  if (is_self (node))
    {
      rd->config_path = config_path (tree->node);
      rd->is_self = TRUE;
      rd->package = final_package (tree->node, TRUE);
      rd->primary = tree->node->primary;
    }
  else
    {
      rd->config_path = config_path (node);
      rd->package = final_package (node, TRUE);
      if (node->is_group)
        rd->override_key = override_key (node);
      rd->primary = node->primary;
    }
  g_ptr_array_add (out, rd);
}

static void
dfs_walk (Builder *b, TreeNode *tree, GPtrArray *out)
{
  if (tree->children == NULL || tree->children->len == 0)
    {
      collect (b, tree->parent, tree->node, out);
      return;
    }
  for (guint i = 0; i < tree->children->len; i++)
    {
      TreeNode *child = g_ptr_array_index (tree->children, i);

      if (child->children == NULL)
        collect (b, tree, child->node, out);
      else
        dfs_walk (b, child, out);
    }
}

/* ---- the driver ---------------------------------------------------------- */

static gboolean
read_command_line (Builder *b, GPtrArray *overrides, GPtrArray *config_overrides)
{
  for (guint i = 0; i < overrides->len; i++)
    {
      ComposeOverrideRef *ref = g_ptr_array_index (overrides, i);
      CmdbHydraOverride *o = ref->override;
      g_autofree char *key = NULL;
      gboolean is_group;

      if (o->value_type == CMDB_HYDRA_VALUE_SWEEP)
        continue;
      is_group = compose_repo_group_exists (b->repo, o->key);
      if (JSON_NODE_HOLDS_OBJECT (o->value) || !is_group)
        {
          g_ptr_array_add (config_overrides, ref);
          continue;
        }
      key = o->package != NULL ? g_strconcat (o->key, "@", o->package, NULL) : g_strdup (o->key);
      if (o->type == CMDB_HYDRA_OVERRIDE_FORCE_ADD)
        {
          ComposeProblem *problem = compose_problem_new (
              "ConfigCompositionException", ref->token,
              "force-add of config groups is not supported: '%s'", ref->token);

          problem->hint = g_strdup_printf ("choose the option with '%s=...', or add the group "
                                           "with '+%s=...'",
                                           key, key);
          return fail (b, problem);
        }
      if (o->type == CMDB_HYDRA_OVERRIDE_DELETE)
        {
          Deletion *deletion;

          if (!JSON_NODE_HOLDS_NULL (o->value)
              && !(JSON_NODE_HOLDS_VALUE (o->value)
                   && json_node_get_value_type (o->value) == G_TYPE_STRING))
            return fail (b, compose_problem_new (
                                "ValueError", ref->token,
                                "Config group override deletion value must be a string : %s",
                                ref->token));
          deletion = g_new0 (Deletion, 1);
          if (!JSON_NODE_HOLDS_NULL (o->value))
            deletion->name = g_strdup (json_node_get_string (o->value));
          if (!g_hash_table_contains (b->deletions, key))
            g_ptr_array_add (b->deletion_keys, g_strdup (key));
          g_hash_table_insert (b->deletions, g_strdup (key), deletion);
          continue;
        }
      if (!JSON_NODE_HOLDS_ARRAY (o->value)
          && !(JSON_NODE_HOLDS_VALUE (o->value)
               && json_node_get_value_type (o->value) == G_TYPE_STRING))
        {
          g_autofree char *type = python_type_name (o->value);
          g_autoptr (GPtrArray) options = compose_repo_group_options (b->repo, o->key);
          ComposeProblem *problem = compose_problem_new (
              "ValueError", ref->token, "Config group override must be a string or a list. Got %s",
              type);

          if (options->len > 0)
            {
              g_autofree char *list = join_options (options, ", ");

              problem->hint = g_strdup_printf ("options of %s: %s", o->key, list);
            }
          return fail (b, problem);
        }
      if (o->type == CMDB_HYDRA_OVERRIDE_ADD)
        {
          Default *d = new_default (b);

          d->is_group = TRUE;
          d->group = g_strdup (o->key);
          d->package = g_strdup (o->package);
          d->external_append = TRUE;
          set_value_from_json (d, o->value);
          g_ptr_array_add (b->append, d);
          continue;
        }
      {
        Choice *choice = g_new0 (Choice, 1);
        Default probe = { 0 };

        set_value_from_json (&probe, o->value);
        choice->kind = probe.value_kind;
        choice->name = g_steal_pointer (&probe.name);
        choice->options = g_steal_pointer (&probe.options);
        choice->external = TRUE;
        if (!g_hash_table_contains (b->choices, key))
          g_ptr_array_add (b->choice_keys, g_strdup (key));
        g_hash_table_insert (b->choices, g_strdup (key), choice);
      }
    }
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
choice_text (const Choice *choice)
{
  if (choice->kind == VAL_NAME)
    return g_strdup (choice->name);
  if (choice->kind == VAL_NULL)
    return g_strdup ("None");
  {
    g_autoptr (GString) out = g_string_new ("[");

    for (guint i = 0; i < choice->options->len; i++)
      {
        JsonNode *item = g_ptr_array_index (choice->options, i);

        if (i > 0)
          g_string_append (out, ", ");
        if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
          g_string_append_printf (out, "'%s'", json_node_get_string (item));
        else
          g_string_append (out, "?");
      }
    g_string_append_c (out, ']');
    return g_strdup (out->str);
  }
}

static gboolean
ensure_overrides_used (Builder *b, GPtrArray *overrides)
{
  for (guint i = 0; i < b->choice_keys->len; i++)
    {
      const char *key = g_ptr_array_index (b->choice_keys, i);
      Choice *choice = g_hash_table_lookup (b->choices, key);
      g_autofree char *group = NULL;
      GPtrArray *keys;
      g_autoptr (GString) message = NULL;
      g_autofree char *value = NULL;
      ComposeProblem *problem;
      const char *token = NULL;

      if (choice->used)
        continue;
      group = g_strdup (key);
      if (strchr (group, '@') != NULL)
        *strchr (group, '@') = '\0';
      keys = g_hash_table_lookup (b->known_groups, group);
      message = g_string_new (NULL);
      if (choice->containing_path != NULL)
        g_string_append_printf (message, "In '%s': ", choice->containing_path);
      if (keys != NULL && keys->len > 1)
        {
          g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
          g_autofree char *list = NULL;

          for (guint k = 0; k < keys->len; k++)
            g_ptr_array_add (sorted, g_ptr_array_index (keys, k));
          g_ptr_array_sort (sorted, compare_strings);
          list = join_options (sorted, ", ");
          g_string_append_printf (message,
                                  "Could not override '%s'.\nDid you mean to override "
                                  "one of %s?",
                                  key, list);
        }
      else if (keys != NULL && keys->len == 1)
        g_string_append_printf (message, "Could not override '%s'.\nDid you mean to override %s?",
                                key, (char *) g_ptr_array_index (keys, 0));
      else
        g_string_append_printf (message, "Could not override '%s'. No match in the defaults list.",
                                key);
      value = choice_text (choice);
      if (choice->external)
        g_string_append_printf (message, "\nTo append to your default list use +%s=%s", key, value);
      for (guint k = 0; choice->external && k < overrides->len; k++)
        {
          ComposeOverrideRef *ref = g_ptr_array_index (overrides, k);
          g_autofree char *ref_key
              = ref->override->package != NULL
                    ? g_strconcat (ref->override->key, "@", ref->override->package, NULL)
                    : g_strdup (ref->override->key);

          if (ref->override->type == CMDB_HYDRA_OVERRIDE_CHANGE && strcmp (ref_key, key) == 0)
            token = ref->token;
        }
      problem = compose_problem_new ("ConfigCompositionException", token, "%s", message->str);
      if (keys != NULL && keys->len == 1)
        problem->hint
            = g_strdup_printf ("did you mean '%s'?", (char *) g_ptr_array_index (keys, 0));
      else if (keys != NULL && keys->len > 1)
        problem->hint = g_strdup_printf ("the group is chosen under another package: %s",
                                         strstr (message->str, "one of ") + 7);
      else if (choice->external)
        problem->hint = g_strdup_printf ("add '+': +%s=%s (the primary config does not choose "
                                         "%s)",
                                         key, value, key);
      return fail (b, problem);
    }
  return TRUE;
}

static gboolean
ensure_deletions_used (Builder *b, GPtrArray *overrides)
{
  for (guint i = 0; i < b->deletion_keys->len; i++)
    {
      const char *key = g_ptr_array_index (b->deletion_keys, i);
      Deletion *deletion = g_hash_table_lookup (b->deletions, key);
      g_autofree char *desc = NULL;
      const char *token = NULL;
      ComposeProblem *problem;

      if (deletion->used)
        continue;
      desc = deletion->name != NULL ? g_strdup_printf ("%s=%s", key, deletion->name)
                                    : g_strdup (key);
      for (guint k = 0; k < overrides->len; k++)
        {
          ComposeOverrideRef *ref = g_ptr_array_index (overrides, k);

          if (ref->override->type == CMDB_HYDRA_OVERRIDE_DELETE
              && g_str_has_prefix (ref->token + 1, key))
            token = ref->token;
        }
      problem = compose_problem_new ("ConfigCompositionException", token,
                                     "Could not delete '%s'. No match in the defaults list", desc);
      problem->hint
          = g_strdup_printf ("'%s' is not chosen by the defaults list: drop '~%s'", key, desc);
      return fail (b, problem);
    }
  return TRUE;
}

gboolean
compose_defaults_build (ComposeRepo *repo, const char *config_name, GPtrArray *overrides,
                        ComposeDefaults *ret_defaults, ComposeProblem **ret_problem)
{
  Builder b = { 0 };
  TreeNode *root;
  Default *virtual_root, *hydra, *primary;
  GPtrArray *results = NULL;
  gboolean ok = FALSE;

  memset (ret_defaults, 0, sizeof *ret_defaults);
  b.repo = repo;
  b.overrides = overrides;
  b.defaults_arena = g_ptr_array_new_with_free_func ((GDestroyNotify) default_free);
  b.nodes_arena = g_ptr_array_new_with_free_func ((GDestroyNotify) tree_node_free);
  b.choice_keys = g_ptr_array_new_with_free_func (g_free);
  b.choices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) choice_free);
  b.append = g_ptr_array_new ();
  b.deletion_keys = g_ptr_array_new_with_free_func (g_free);
  b.deletions
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) deletion_free);
  b.known_keys = g_ptr_array_new_with_free_func (g_free);
  b.known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  b.known_groups
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  ret_defaults->config_overrides = g_ptr_array_new ();

  if (!read_command_line (&b, overrides, ret_defaults->config_overrides))
    goto out;

  virtual_root = new_default (&b);
  virtual_root->is_virtual = TRUE;
  hydra = new_default (&b);
  hydra->path = g_strdup ("hydra/config");
  primary = new_default (&b);
  primary->path = g_strdup (config_name);
  primary->primary = TRUE;
  root = new_tree_node (&b, virtual_root, NULL);
  root->children = g_ptr_array_new ();
  g_ptr_array_add (root->children, new_tree_node (&b, hydra, root));
  g_ptr_array_add (root->children, new_tree_node (&b, primary, root));

  if (!create_tree (&b, root, TRUE, FALSE))
    goto out;

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_default_free);
  dfs_walk (&b, root, results);

  /* No group may be chosen twice. */
  {
    g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < results->len; i++)
      {
        ComposeResultDefault *rd = g_ptr_array_index (results, i);

        if (rd->is_self || rd->override_key == NULL)
          continue;
        if (!g_hash_table_add (seen, rd->override_key))
          {
            ComposeProblem *problem = compose_problem_new (
                "ConfigCompositionException", token_choosing (&b, rd->override_key),
                "%s appears more than once in the final defaults list", rd->override_key);

            problem->hint
                = g_strdup_printf ("%s is chosen already: choose it without '+'", rd->override_key);
            fail (&b, problem);
            goto out;
          }
      }
  }
  if (!ensure_overrides_used (&b, overrides) || !ensure_deletions_used (&b, overrides))
    goto out;

  ret_defaults->results = g_steal_pointer (&results);
  ret_defaults->choices = json_object_new ();
  for (guint i = 0; i < b.known_keys->len; i++)
    {
      const char *key = g_ptr_array_index (b.known_keys, i);
      const char *value = g_hash_table_lookup (b.known, key);

      if (g_str_has_prefix (key, "hydra/"))
        continue;
      if (value != NULL)
        json_object_set_string_member (ret_defaults->choices, key, value);
      else
        json_object_set_null_member (ret_defaults->choices, key);
    }
  ok = TRUE;

out:
  if (results != NULL)
    g_ptr_array_unref (results);
  if (!ok)
    {
      *ret_problem = b.problem;
      b.problem = NULL;
      compose_defaults_clear (ret_defaults);
    }
  g_ptr_array_unref (b.nodes_arena);
  g_ptr_array_unref (b.defaults_arena);
  g_ptr_array_unref (b.choice_keys);
  g_hash_table_unref (b.choices);
  g_ptr_array_unref (b.append);
  g_ptr_array_unref (b.deletion_keys);
  g_hash_table_unref (b.deletions);
  g_ptr_array_unref (b.known_keys);
  g_hash_table_unref (b.known);
  g_hash_table_unref (b.known_groups);
  if (b.problem != NULL)
    compose_problem_free (b.problem);
  return ok;
}

void
compose_defaults_clear (ComposeDefaults *defaults)
{
  g_clear_pointer (&defaults->results, g_ptr_array_unref);
  g_clear_pointer (&defaults->config_overrides, g_ptr_array_unref);
  g_clear_pointer (&defaults->choices, json_object_unref);
}
