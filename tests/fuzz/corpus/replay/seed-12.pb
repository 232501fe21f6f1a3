

dispatch@c1/E001