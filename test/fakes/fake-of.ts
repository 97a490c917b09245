/**
 * A typed fake of an interface from only the members a test needs: any other member that the code under test
 * touches fails loudly (so a fake can never answer for something it does not model).
 */
export function fakeOf<T extends object>(name: string, members: Partial<T>): T {
  return new Proxy(members, {
    get(target, property, receiver) {
      if (property in target) return Reflect.get(target, property, receiver) as unknown
      // Not a thenable: awaiting the fake itself must not call a missing `then`.
      if (property === 'then') return undefined
      throw new Error(`the ${name} fake has no '${String(property)}'`)
    },
  }) as T
}
