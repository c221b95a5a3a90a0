"""User-defined activation families: functions, ``Layer`` subclasses and expressions, and the plugins that
register them. Importing this package does not import Keras."""

from spaces.custom.builders import BuilderError, UserBuilder, activation, load_builder
from spaces.custom.expression import Expression, ExpressionError, parse_definition
from spaces.custom.plugins import ENTRY_POINT_GROUP, Plugin, PluginError, load_entry_points, load_plugin
from spaces.custom.registration import register_activation, register_expression, register_layer

__all__ = [
    "BuilderError",
    "UserBuilder",
    "activation",
    "load_builder",
    "ENTRY_POINT_GROUP",
    "Expression",
    "ExpressionError",
    "Plugin",
    "PluginError",
    "load_entry_points",
    "load_plugin",
    "parse_definition",
    "register_activation",
    "register_expression",
    "register_layer",
]
