#pragma once
// Truth of the facts a prompt can state (relations, regions), with two margins: captions state
// only facts that hold with a clear margin in the sampled scene; checking a detected scene asks
// only for a smaller margin, so that a roughly right picture passes and a wrong one fails.
#include "world/scene.h"

namespace pictor::world {

// "a is <r> b" holds with centres at least `margin` apart along the relation's axis (fractions of
// width / height).
bool relation_holds(const Object& a, const Object& b, Relation r, float margin);
// For captions: the two objects' bounding squares are separated along the axis (no overlap in
// projection), so the relation is obvious to any viewer.
bool relation_clear(const Object& a, const Object& b, Relation r);
// The margin check_spec() uses for relations between detected objects.
inline constexpr float kRelationCheckMargin = 0.05f;

// The centre lies in `region` at least `margin` away from the thirds' borders.
bool region_clear(const Object& o, float margin = 0.04f);

Relation inverse(Relation r);  // left of <-> right of, above <-> below

}  // namespace pictor::world
