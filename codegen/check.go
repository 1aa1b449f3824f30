package codegen

func (g *generator) check() {}
