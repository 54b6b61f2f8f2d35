/* The embeddable voice widget: written in the next commit. */
