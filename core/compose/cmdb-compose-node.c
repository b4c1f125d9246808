#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose-node.c: the config value tree the checker composes into.
 *
 * A small stand-in for OmegaConf's DictConfig/ListConfig with exactly the
 * behaviour composition depends on: merge rules (dicts merge, lists and
 * scalars replace, `???` never overwrites), struct mode (no new keys), and
 * leaf keys as the reference vectors write them.
 */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

CfgNode *
cfg_node_new_dict (void)
{
  CfgNode *node = g_new0 (CfgNode, 1);

  node->kind = CFG_DICT;
  node->keys = g_ptr_array_new_with_free_func (g_free);
  node->items = g_ptr_array_new_with_free_func ((GDestroyNotify) cfg_node_free);
  return node;
}

CfgNode *
cfg_node_new_list (void)
{
  CfgNode *node = g_new0 (CfgNode, 1);

  node->kind = CFG_LIST;
  node->items = g_ptr_array_new_with_free_func ((GDestroyNotify) cfg_node_free);
  return node;
}

CfgNode *
cfg_node_new_value (JsonNode *value)
{
  CfgNode *node = g_new0 (CfgNode, 1);

  node->kind = CFG_VALUE;
  node->value = value;
  return node;
}

CfgNode *
cfg_node_new_string (const char *text)
{
  JsonNode *value = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (value, text);
  return cfg_node_new_value (value);
}

CfgNode *
cfg_node_new_null (void)
{
  return cfg_node_new_value (json_node_new (JSON_NODE_NULL));
}

void
cfg_node_free (CfgNode *node)
{
  if (node == NULL)
    return;
  if (node->value != NULL)
    json_node_unref (node->value);
  if (node->keys != NULL)
    g_ptr_array_unref (node->keys);
  if (node->items != NULL)
    g_ptr_array_unref (node->items);
  g_free (node);
}

CfgNode *
cfg_node_copy (const CfgNode *node)
{
  CfgNode *copy;

  switch (node->kind)
    {
      case CFG_VALUE:
        return cfg_node_new_value (json_node_copy (node->value));
      case CFG_DICT:
        copy = cfg_node_new_dict ();
        g_ptr_array_set_size (copy->keys, 0);
        for (guint i = 0; i < node->keys->len; i++)
          {
            CfgNode *child = cfg_node_copy (g_ptr_array_index (node->items, i));

            child->parent = copy;
            g_ptr_array_add (copy->keys, g_strdup (g_ptr_array_index (node->keys, i)));
            g_ptr_array_add (copy->items, child);
          }
        return copy;
      case CFG_LIST:
      default:
        copy = cfg_node_new_list ();
        for (guint i = 0; i < node->items->len; i++)
          cfg_list_append (copy, cfg_node_copy (g_ptr_array_index (node->items, i)));
        return copy;
    }
}

CfgNode *
cfg_node_from_yaml (const CmdbYamlNode *yaml)
{
  CfgNode *node;

  if (yaml == NULL)
    return cfg_node_new_null ();
  switch (cmdb_yaml_node_get_kind (yaml))
    {
      case CMDB_YAML_NODE_MAPPING:
        node = cfg_node_new_dict ();
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (yaml); i++)
          {
            const CmdbYamlNode *key = cmdb_yaml_node_get_key_node (yaml, i);

            cfg_dict_set (node, cmdb_yaml_node_get_scalar (key),
                          cfg_node_from_yaml (cmdb_yaml_node_get_value_node (yaml, i)));
          }
        return node;
      case CMDB_YAML_NODE_SEQUENCE:
        node = cfg_node_new_list ();
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (yaml); i++)
          cfg_list_append (node, cfg_node_from_yaml (cmdb_yaml_node_get_item (yaml, i)));
        return node;
      case CMDB_YAML_NODE_SCALAR:
      default:
        return cfg_node_new_value (cmdb_yaml_node_to_json (yaml));
    }
}

CfgNode *
cfg_node_from_json (JsonNode *json)
{
  CfgNode *node;

  switch (JSON_NODE_TYPE (json))
    {
      case JSON_NODE_OBJECT:
        {
          JsonObject *object = json_node_get_object (json);
          g_autoptr (GList) members = json_object_get_members (object);

          node = cfg_node_new_dict ();
          for (GList *l = members; l != NULL; l = l->next)
            cfg_dict_set (node, l->data,
                          cfg_node_from_json (json_object_get_member (object, l->data)));
          return node;
        }
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (json);

          node = cfg_node_new_list ();
          for (guint i = 0; i < json_array_get_length (array); i++)
            cfg_list_append (node, cfg_node_from_json (json_array_get_element (array, i)));
          return node;
        }
      case JSON_NODE_NULL:
        return cfg_node_new_null ();
      case JSON_NODE_VALUE:
      default:
        return cfg_node_new_value (json_node_copy (json));
    }
}

JsonNode *
cfg_node_to_json (const CfgNode *node)
{
  JsonNode *json;

  switch (node->kind)
    {
      case CFG_VALUE:
        return json_node_copy (node->value);
      case CFG_DICT:
        {
          JsonObject *object = json_object_new ();

          for (guint i = 0; i < node->keys->len; i++)
            json_object_set_member (object, g_ptr_array_index (node->keys, i),
                                    cfg_node_to_json (g_ptr_array_index (node->items, i)));
          json = json_node_new (JSON_NODE_OBJECT);
          json_node_take_object (json, object);
          return json;
        }
      case CFG_LIST:
      default:
        {
          JsonArray *array = json_array_new ();

          for (guint i = 0; i < node->items->len; i++)
            json_array_add_element (array, cfg_node_to_json (g_ptr_array_index (node->items, i)));
          json = json_node_new (JSON_NODE_ARRAY);
          json_node_take_array (json, array);
          return json;
        }
    }
}

gboolean
cfg_node_is_container (const CfgNode *node)
{
  return node != NULL && node->kind != CFG_VALUE;
}

gboolean
cfg_node_is_null (const CfgNode *node)
{
  return node != NULL && node->kind == CFG_VALUE && JSON_NODE_HOLDS_NULL (node->value);
}

const char *
cfg_node_get_string (const CfgNode *node)
{
  if (node == NULL || node->kind != CFG_VALUE || !JSON_NODE_HOLDS_VALUE (node->value)
      || json_node_get_value_type (node->value) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node->value);
}

gboolean
cfg_node_is_missing (const CfgNode *node)
{
  const char *text = cfg_node_get_string (node);

  return text != NULL && strcmp (text, "???") == 0;
}

gboolean
cfg_node_is_interpolation (const CfgNode *node)
{
  const char *text = cfg_node_get_string (node);

  if (text == NULL)
    return FALSE;
  for (const char *p = strstr (text, "${"); p != NULL; p = strstr (p + 1, "${"))
    if (p == text || p[-1] != '\\')
      return TRUE;
  return FALSE;
}

guint
cfg_dict_index (const CfgNode *dict, const char *key)
{
  for (guint i = 0; i < dict->keys->len; i++)
    if (strcmp (g_ptr_array_index (dict->keys, i), key) == 0)
      return i;
  return G_MAXUINT;
}

CfgNode *
cfg_dict_get (const CfgNode *dict, const char *key)
{
  guint index;

  if (dict == NULL || dict->kind != CFG_DICT)
    return NULL;
  index = cfg_dict_index (dict, key);
  return index == G_MAXUINT ? NULL : g_ptr_array_index (dict->items, index);
}

void
cfg_dict_set (CfgNode *dict, const char *key, CfgNode *value)
{
  guint index = cfg_dict_index (dict, key);

  value->parent = dict;
  if (index == G_MAXUINT)
    {
      g_ptr_array_add (dict->keys, g_strdup (key));
      g_ptr_array_add (dict->items, value);
      return;
    }
  cfg_node_free (g_ptr_array_index (dict->items, index));
  g_ptr_array_index (dict->items, index) = value;
}

gboolean
cfg_dict_remove (CfgNode *dict, const char *key)
{
  guint index = cfg_dict_index (dict, key);

  if (index == G_MAXUINT)
    return FALSE;
  g_ptr_array_remove_index (dict->keys, index);
  g_ptr_array_remove_index (dict->items, index);
  return TRUE;
}

void
cfg_list_append (CfgNode *list, CfgNode *value)
{
  value->parent = list;
  g_ptr_array_add (list->items, value);
}

static CfgNode *
root_of (CfgNode *node)
{
  while (node->parent != NULL)
    node = node->parent;
  return node;
}

/* Replaces the i-th value of @parent (a dict or list) with @value (owned). */
static void
replace_item (CfgNode *parent, guint index, CfgNode *value)
{
  value->parent = parent;
  cfg_node_free (g_ptr_array_index (parent->items, index));
  g_ptr_array_index (parent->items, index) = value;
}

static const char *
container_name (const CfgNode *node)
{
  return node->kind == CFG_DICT ? "DictConfig" : "ListConfig";
}

/* Item @i of @src for dest: a copy, or with @take the item itself (@src
 * is then left with a hole and only good for freeing). */
static CfgNode *
give_item (CfgNode *src, guint i, gboolean take)
{
  CfgNode *item = g_ptr_array_index (src->items, i);

  if (!take)
    return cfg_node_copy (item);
  g_ptr_array_index (src->items, i) = NULL;
  return item;
}

static gboolean
merge_impl (CfgNode *dest, CfgNode *src, gboolean is_struct, gboolean take,
            gboolean *ret_struct_error, char **ret_message)
{
  if (dest->kind != src->kind || dest->kind == CFG_VALUE)
    {
      *ret_message = g_strdup_printf ("Cannot merge %s with %s", container_name (dest),
                                      container_name (src));
      return FALSE;
    }
  if (dest->kind == CFG_LIST)
    {
      g_ptr_array_set_size (dest->items, 0);
      for (guint i = 0; i < src->items->len; i++)
        cfg_list_append (dest, give_item (src, i, take));
      return TRUE;
    }

  for (guint i = 0; i < src->keys->len; i++)
    {
      const char *key = g_ptr_array_index (src->keys, i);
      CfgNode *s = g_ptr_array_index (src->items, i);
      guint index = cfg_dict_index (dest, key);
      CfgNode *d;

      if (index == G_MAXUINT)
        {
          if (is_struct)
            {
              *ret_struct_error = TRUE;
              *ret_message = g_strdup_printf ("Key '%s' is not in struct", key);
              return FALSE;
            }
          cfg_dict_set (dest, key, give_item (src, i, take));
          continue;
        }
      d = g_ptr_array_index (dest->items, index);

      if (cfg_node_is_container (d))
        {
          if (cfg_node_is_container (s))
            {
              if (!merge_impl (d, s, is_struct, take, ret_struct_error, ret_message))
                return FALSE;
            }
          else if (!cfg_node_is_missing (s))
            replace_item (dest, index, give_item (src, i, take));
          continue;
        }

      if (cfg_node_is_interpolation (d) && cfg_node_is_container (s))
        {
          const CfgNode *target = NULL;
          g_autofree char *text = NULL;
          g_autofree char *message = NULL;

          /* OmegaConf dereferences an interpolation to a container before
           * merging into it; one that does not resolve is replaced. */
          if (cfg_resolve_node (root_of (dest), d, &target, &text, &message) == CFG_RESOLVE_OK
              && cfg_node_is_container (target))
            {
              CfgNode *copy = cfg_node_copy (target);

              replace_item (dest, index, copy);
              if (!merge_impl (copy, s, is_struct, take, ret_struct_error, ret_message))
                return FALSE;
              continue;
            }
        }
      if (cfg_node_is_missing (s))
        continue;
      replace_item (dest, index, give_item (src, i, take));
    }
  return TRUE;
}

gboolean
cfg_node_merge (CfgNode *dest, const CfgNode *src, gboolean is_struct, gboolean *ret_struct_error,
                char **ret_message)
{
  return merge_impl (dest, (CfgNode *) src, is_struct, FALSE, ret_struct_error, ret_message);
}

gboolean
cfg_node_merge_take (CfgNode *dest, CfgNode *src, char **ret_message)
{
  gboolean struct_error = FALSE;

  return merge_impl (dest, src, FALSE, TRUE, &struct_error, ret_message);
}

CfgNode *
cfg_node_embed (CfgNode *body, const char *package)
{
  g_auto (GStrv) parts = NULL;
  CfgNode *result = body;

  if (package == NULL || package[0] == '\0')
    return body;
  parts = g_strsplit (package, ".", -1);
  for (int i = (int) g_strv_length (parts) - 1; i >= 0; i--)
    {
      CfgNode *dict = cfg_node_new_dict ();

      cfg_dict_set (dict, parts[i], result);
      result = dict;
    }
  return result;
}

static void
collect_leaves (const CfgNode *node, const char *prefix, GPtrArray *out)
{
  gboolean empty = node->kind == CFG_VALUE || node->items->len == 0;

  if (empty)
    {
      g_ptr_array_add (out, g_strdup (prefix));
      return;
    }
  for (guint i = 0; i < node->items->len; i++)
    {
      g_autofree char *path = NULL;

      if (node->kind == CFG_DICT)
        {
          const char *key = g_ptr_array_index (node->keys, i);

          path = prefix[0] == '\0' ? g_strdup (key) : g_strconcat (prefix, ".", key, NULL);
        }
      else
        path = g_strdup_printf ("%s[%u]", prefix, i);
      collect_leaves (g_ptr_array_index (node->items, i), path, out);
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
cfg_node_leaf_keys (const CfgNode *root)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  if (root->kind == CFG_DICT)
    for (guint i = 0; i < root->items->len; i++)
      collect_leaves (g_ptr_array_index (root->items, i), g_ptr_array_index (root->keys, i), out);
  g_ptr_array_sort (out, compare_strings);
  return out;
}

static void
append_python (GString *out, const CfgNode *node, gboolean as_repr)
{
  switch (node->kind)
    {
      case CFG_DICT:
        g_string_append_c (out, '{');
        for (guint i = 0; i < node->keys->len; i++)
          {
            if (i > 0)
              g_string_append (out, ", ");
            g_string_append_printf (out,
                                    "'%s': ", (const char *) g_ptr_array_index (node->keys, i));
            append_python (out, g_ptr_array_index (node->items, i), TRUE);
          }
        g_string_append_c (out, '}');
        return;
      case CFG_LIST:
        g_string_append_c (out, '[');
        for (guint i = 0; i < node->items->len; i++)
          {
            if (i > 0)
              g_string_append (out, ", ");
            append_python (out, g_ptr_array_index (node->items, i), TRUE);
          }
        g_string_append_c (out, ']');
        return;
      case CFG_VALUE:
      default:
        break;
    }
  if (JSON_NODE_HOLDS_NULL (node->value))
    {
      g_string_append (out, "None");
      return;
    }
  switch (json_node_get_value_type (node->value))
    {
      case G_TYPE_BOOLEAN:
        g_string_append (out, json_node_get_boolean (node->value) ? "True" : "False");
        break;
      case G_TYPE_INT64:
        g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node->value));
        break;
      case G_TYPE_DOUBLE:
        {
          g_autofree char *text = cmdb_hydra_format_float (json_node_get_double (node->value));

          g_string_append (out, text);
          break;
        }
      default:
        if (as_repr)
          g_string_append_printf (out, "'%s'", json_node_get_string (node->value));
        else
          g_string_append (out, json_node_get_string (node->value));
        break;
    }
}

char *
cfg_node_to_python_str (const CfgNode *node)
{
  GString *out = g_string_new (NULL);

  append_python (out, node, FALSE);
  return g_string_free (out, FALSE);
}

/* A JSON scalar as a Python number (bool counts: True == 1). */
static gboolean
json_number (JsonNode *json, double *ret_value)
{
  if (!JSON_NODE_HOLDS_VALUE (json))
    return FALSE;
  switch (json_node_get_value_type (json))
    {
      case G_TYPE_BOOLEAN:
        *ret_value = json_node_get_boolean (json) ? 1 : 0;
        return TRUE;
      case G_TYPE_INT64:
        *ret_value = (double) json_node_get_int (json);
        return TRUE;
      case G_TYPE_DOUBLE:
        *ret_value = json_node_get_double (json);
        return TRUE;
      default:
        return FALSE;
    }
}

gboolean
cfg_node_equals_json (const CfgNode *node, JsonNode *json)
{
  switch (node->kind)
    {
      case CFG_DICT:
        {
          JsonObject *object;

          if (!JSON_NODE_HOLDS_OBJECT (json))
            return FALSE;
          object = json_node_get_object (json);
          if (json_object_get_size (object) != node->keys->len)
            return FALSE;
          for (guint i = 0; i < node->keys->len; i++)
            {
              JsonNode *member = json_object_get_member (object, g_ptr_array_index (node->keys, i));

              if (member == NULL
                  || !cfg_node_equals_json (g_ptr_array_index (node->items, i), member))
                return FALSE;
            }
          return TRUE;
        }
      case CFG_LIST:
        {
          JsonArray *array;

          if (!JSON_NODE_HOLDS_ARRAY (json))
            return FALSE;
          array = json_node_get_array (json);
          if (json_array_get_length (array) != node->items->len)
            return FALSE;
          for (guint i = 0; i < node->items->len; i++)
            if (!cfg_node_equals_json (g_ptr_array_index (node->items, i),
                                       json_array_get_element (array, i)))
              return FALSE;
          return TRUE;
        }
      case CFG_VALUE:
      default:
        break;
    }
  if (JSON_NODE_HOLDS_NULL (node->value) || JSON_NODE_HOLDS_NULL (json))
    return JSON_NODE_HOLDS_NULL (node->value) && JSON_NODE_HOLDS_NULL (json);
  {
    double a, b;

    if (json_number (node->value, &a) && json_number (json, &b))
      return a == b;
  }
  if (cfg_node_get_string (node) != NULL && JSON_NODE_HOLDS_VALUE (json)
      && json_node_get_value_type (json) == G_TYPE_STRING)
    return strcmp (cfg_node_get_string (node), json_node_get_string (json)) == 0;
  return FALSE;
}

char *
cfg_node_dup_path (const CfgNode *node)
{
  GPtrArray *parts = g_ptr_array_new ();
  GString *out = g_string_new (NULL);

  for (const CfgNode *n = node; n->parent != NULL; n = n->parent)
    g_ptr_array_add (parts, (gpointer) n);
  for (int i = (int) parts->len - 1; i >= 0; i--)
    {
      const CfgNode *n = g_ptr_array_index (parts, i);
      const CfgNode *parent = n->parent;
      guint index = 0;

      while (g_ptr_array_index (parent->items, index) != n)
        index++;
      if (parent->kind == CFG_DICT)
        {
          if (out->len > 0)
            g_string_append_c (out, '.');
          g_string_append (out, g_ptr_array_index (parent->keys, index));
        }
      else
        g_string_append_printf (out, "[%u]", index);
    }
  g_ptr_array_unref (parts);
  return g_string_free (out, FALSE);
}
