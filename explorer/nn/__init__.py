"""Keras model code (keras.layers / keras.ops only, any backend): the one builder, the two custom
layers, what the library knows about a built model (`model_info`), the device/backend corner."""
