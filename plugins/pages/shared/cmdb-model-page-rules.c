#define G_LOG_DOMAIN "cmdb-page-shared"

#include "cmdb-model-page-rules.h"

/* Written as the JSON a schema would hold in its elements' rule keys, so
 * the two read the same; the messages are the original app's. */
static const char model_page_rules[]
    = "{"
      "\"exp_name\": {"
      "  \"role\": \"experiment_name\","
      "  \"name_suffix\": [\"architecture\", \"decoder\", \"encoder\"],"
      "  \"name_suffix_requires\": [\"encoder\"],"
      "  \"name_suffix_unless\": [\"resume_training\"]},"
      "\"encoder\": {"
      "  \"incompatible_list\": \"compatible_backbones\","
      "  \"incompatible_message\": \"Encoder '{value}' is not compatible with '{architecture}' "
      "architecture. Compatible encoders: {compatible}\"},"
      "\"decoder\": {"
      "  \"incompatible_list\": \"compatible_decoders\","
      "  \"incompatible_message\": \"Decoder '{value}' is not compatible with '{architecture}' "
      "architecture. Compatible decoders: {compatible}\"},"
      "\"head\": {"
      "  \"incompatible_list\": \"compatible_heads\","
      "  \"incompatible_message\": \"Head '{value}' is not compatible with '{architecture}' "
      "architecture. Compatible heads: {compatible}\"},"
      "\"loss\": {"
      "  \"incompatible_list\": \"compatible_losses\","
      "  \"incompatible_message\": \"Loss '{value}' is not compatible with '{architecture}' "
      "architecture. Compatible losses: {compatible}\"},"
      "\"optimizer\": {"
      "  \"incompatible_list\": \"recommended_optimizers\","
      "  \"incompatible_severity\": \"warning\","
      "  \"incompatible_message\": \"Warning: Optimizer '{value}' is not recommended for "
      "'{architecture}'. Recommended optimizers: {compatible}\"},"
      "\"learning_rate\": {"
      "  \"optimizer_bounds_message\": \"Learning rate must be {rule} for optimizer "
      "'{optimizer}'.\"},"
      "\"preprocessing_profile\": {"
      "  \"profile_overrides\": true,"
      "  \"profile_replaces\": [\"dataset\"]}"
      "}";

JsonObject *
cmdb_model_page_rules_new (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  /* A constant of this file: a parse failure is a programming error. */
  if (!json_parser_load_from_data (parser, model_page_rules, -1, &error))
    g_error ("the model page rules do not parse: %s", error->message);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}
