/** The plugin's name: it names every tap the plugin makes and its surface on the pipeline. */
export const PLUGIN_NAME = 'MonitoringPlugin';
